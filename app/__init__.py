"""smshall: an SMS/USSD keyword service in the style of the 10086 SMS business hall."""
