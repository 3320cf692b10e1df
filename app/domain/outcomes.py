"""The outcome codes an inbound message ends with; the README documents each."""

from enum import StrEnum


class Outcome(StrEnum):
    ACTIVATED = "activated"
    ALREADY_ACTIVE = "already_active"
    NOT_ELIGIBLE = "not_eligible"
    CAMPAIGN_INACTIVE = "campaign_inactive"
    CONFIRMATION_REQUIRED = "confirmation_required"
    NOTHING_PENDING = "nothing_pending"
    ORDER_DECLINED = "order_declined"
    DID_YOU_MEAN = "did_you_mean"
    MENU = "menu"
    HELP = "help"
    BALANCE = "balance"
    PACKAGES = "packages"
    VIP_STATUS = "vip_status"
    BIRTHDAY = "birthday"
    SERVICE_LIST = "service_list"
    CANCELLED = "cancelled"
    NOT_CANCELLABLE = "not_cancellable"
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    UNKNOWN_SUBSCRIBER = "unknown_subscriber"
    INVALID_ARGUMENT = "invalid_argument"
    UNKNOWN_KEYWORD = "unknown_keyword"
    RATE_LIMITED = "rate_limited"
    SERVICE_ERROR = "service_error"  # a rule failed on the message: an apology, nothing done
