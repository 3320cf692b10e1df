"""HTTP gateways: the JSON MO endpoint (and, later, Kannel's conventions)."""
