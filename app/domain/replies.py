"""Reply wording, Chinese by default and English by setting.

Every success reply states what DOMAIN.md §5 requires: the service, its price,
the date it takes effect and its period; for a free experience also the day
the free period ends and that nothing is charged without fresh consent.
Messages the service starts itself carry the opt-out hint (§7a). Templates
are kept short: every one fits 3 SMS segments with realistic values
(tests/domain/test_replies.py renders them all).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from enum import StrEnum

from app.domain.sms_coding import split
from app.domain.text import excerpt


class Language(StrEnum):
    ZH = "zh"
    EN = "en"


ZH: Mapping[str, str] = {
    # Sign-up, every kind.
    "already_active": "【{campaign}】您已办理过{service}，有效期至{ends_on}，每位客户限办一次。",
    "not_eligible.not_active": "【{campaign}】您的号码当前不是正常使用状态，暂不能办理。",
    "not_eligible.excluded": "【{campaign}】您享有的贵宾服务礼遇不含营销活动，暂不能办理，详询客户经理。",
    "not_eligible.not_target": "【{campaign}】抱歉，本活动限{audience}参加，您暂不符合条件。",
    "not_eligible.requires:cmmb_handset": "【{campaign}】您的手机不支持CMMB手机电视，暂不能办理此项。",
    "not_eligible.requires:mobile_payment": "【{campaign}】办理此项需先开通手机支付账户。",
    "not_eligible.tenure_under_3_years": "【{campaign}】本活动限一年内网龄满3年的客户，您暂不符合条件。",
    "not_eligible.no_bundle_ending": "【{campaign}】本活动限VIP钻金银卡客户，或原合约3个月内到期的稳定、新增中高端客户。",
    "campaign_inactive": "【{campaign}】本活动办理时间为{starts_on}至{ends_on}，当前不在办理期内。",
    "confirm": "【{campaign}】您申请{summary}。请在{hours}小时内回复Y确认办理，不回复则不办理。",
    "menu.options": "【{campaign}】回复{keyword}+代码办理：{options}。{extra}",
    "invalid_argument.options": "【{campaign}】代码有误，请回复{keyword}+代码：{options}。",
    "option": "{code}.{name}",
    # Free experiences (§4.1, §4.2).
    "free.activated": (
        "【{campaign}】您已成功办理{package}（{fee}元/月），即日生效，本月月费免收；"
        "{free_from}至{free_until}免费{months}个月，共减免{waived}元。"
        "到期前短信提醒，未经您同意不会收费。"
    ),
    "free.summary": "办理{package}（{fee}元/月），{free_from}至{free_until}免费",
    "free.extra": "您可免费体验{months}个月。",
    # Pre-store rebates (§4.4).
    "rebate.activated": (
        "【{campaign}】您已成功办理{offer}：预存{prestore}元，月费{fee}元，"
        "合约{months}个月（{starts_on}至{ends_on}），{given}。"
    ),
    "rebate.summary": "{offer}：预存{prestore}元，月费{fee}元，合约{months}个月，{given}，合约期内退订请致电10086",
    "rebate.credit": "合约期内返还话费{credit}元",
    "rebate.device": "赠送{device}（价值{worth}元）",
    "rebate.extra": "办理需回复Y确认。",
    # Care insurance (§4.5).
    "care.activated": "【{campaign}】您已为{insured}免费办理关爱保险，不收取任何费用，保障期{starts_on}至{ends_on}。",
    "care.summary": "为{insured}免费办理关爱保险（不收费），保障期{starts_on}至{ends_on}",
    "care.menu": "【{campaign}】请回复{keyword}+被保险人姓名办理，如{keyword}张三。",
    "care.invalid_argument": "【{campaign}】姓名有误，请回复{keyword}+被保险人姓名（2至20个汉字或字母）。",
    # Tenure reward (§4.3).
    "reward.activated": (
        "【{campaign}】您已签订{months}个月网龄优惠合约（保底消费0元，{starts_on}至{ends_on}）："
        "当月消费满{spend}元，次月赠送国内通话{minutes}分钟。"
    ),
    "reward.summary": "签订{months}个月网龄优惠合约（保底消费0元），当月消费满{spend}元次月赠送国内通话{minutes}分钟，合约期内退订请致电10086",
    # Queries (§6).
    "balance": "【余额查询】截至{today}，您的账户余额为{balance}元。",
    "packages": "【套餐查询】您办理的业务：{items}。",
    "packages.none": "【套餐查询】您当前没有通过短信营业厅办理的优惠业务。",
    "packages.item": "{name}（{period}）",
    "period.free_until": "免费至{ends_on}",
    "period.until": "至{ends_on}",
    "period.kept": "{fee}元/月",
    "period.kept_free_until": "免费至{ends_on}，之后{fee}元/月",
    "vip.card": "【VIP查询】您是全球通{level}客户，卡号{card_no}，有效期至{valid_to}{manager}。",
    "vip.manager": "，客户经理{manager}",
    "vip.photographed": "【VIP查询】您是{level}，享受中高端客户服务。",
    "vip.none": "【VIP查询】您暂不是VIP客户。",
    "level.vip_diamond": "钻卡",
    "level.vip_gold": "金卡",
    "level.vip_silver": "银卡",
    "level.important_photographed": "重要拍照客户",
    "level.photographed": "拍照客户",
    "birthday.applies": "【生日免费】您的生日是{month}月{day}日，当天拨打国内电话（不含港澳台）免费，下次为{next}。",
    "birthday.no_birthday": "【生日免费】未登记您的生日，请联系客户经理或到营业厅登记。",
    "birthday.not_eligible": "【生日免费】生日免费通话为中高端客户专享，您暂不符合条件。",
    "birthday.not_started": "【生日免费】生日免费通话活动自{starts_on}开始，目前暂不适用。",
    "birthday.ended": "【生日免费】生日免费通话活动已于{ends_on}结束，不再适用。",
    "birthday.ends_before_birthday": "【生日免费】生日免费通话活动于{ends_on}结束，您的下次生日{next}在此之后，届时不适用。",
    "service_list": "【已订业务】{items}。回复序号退订，多个用逗号隔开，{hours}小时内有效。",
    "service_list.none": "【已订业务】您当前没有可退订的业务。",
    "service_list.item": "{number}.{name}",
    "cancelled": "【退订】已为您取消：{services}，即日生效，不再收费。",
    "not_cancellable": "【退订】{service}为合约业务，合约期内不能短信退订，详询10086。",
    "no_such_service": "【退订】未找到业务{echo}，发送0000查询已订业务。",
    "cancel.invalid_numbers": "【退订】序号有误，请回复列表中的序号，多个用逗号隔开。",
    "opted_out": "您已退订营销短信，提醒和问候将不再发送。回复START恢复。",
    "opted_in": "您已恢复接收提醒和问候短信。回复T退订。",
    "nothing_pending": "您当前没有待确认的业务，无需回复Y。发送CD查看菜单。",
    "rate_limited": "您发送短信过于频繁，请稍后再试。",
    "service_error": "抱歉，系统暂时无法办理您的短信，未做任何变更。请稍后再试或拨打10086。",
    "order_closed": "您申请的业务已停止办理，本次未为您办理，未产生费用。",
    "ussd.declined": "已取消，未为您办理任何业务。",
    "ussd.see_sms": "办理结果已短信发送给您，请查收。",
    "did_you_mean": "您是否要发送“{echo}”？回复Y确认。",
    "menu.main": "短信营业厅为您服务，请回复序号：{entries}",
    "menu.sub": "【{title}】请回复序号：{entries} 0.返回",
    "menu.entry": "{number}.{label}",
    "help": "指令：CXYE余额 CXTC套餐 CXVIP VIP {campaigns} 0000退订 CD菜单 T退订营销",
    "help.campaign": "{keyword}{name}",
    "unknown_subscriber": "抱歉，未查到您的号码资料，本服务仅限本网客户使用。",
    "unknown_keyword": "未能识别“{echo}”。{help}",
    # Messages the service starts (§4.1, §4.6, §7a); each ends with the opt-out hint.
    "notice.reminder": (
        "【{campaign}】您的{package}免费期至{ends_on}。{hours}小时内回复Y按{fee}元/月继续使用，"
        "不回复到期取消不收费。"
    ),
    "notice.lapsed": "【{campaign}】您的{package}免费体验已于{ends_on}结束并取消，未产生任何费用。",
    "notice.kept": "【{campaign}】您已确认继续使用{package}，自{starts_on}起按{fee}元/月收费，取消回复QX{code}。",
    "notice.birthday": "【生日快乐】祝您生日快乐！今天您拨打国内电话（不含港澳台）免费。",
    "notice.credit": "【网龄优惠】您{month}消费达标，获赠{credited}国内通话{minutes}分钟。",
    "notice.opt_out_hint": "回复T退订",
}

EN: Mapping[str, str] = {
    "already_active": "{campaign}: you already have {service}, valid until {ends_on}. One per customer.",
    "not_eligible.not_active": "{campaign}: your number is not in service, so it cannot join.",
    "not_eligible.excluded": "{campaign}: your VIP privileges do not include marketing offers. Ask your account manager.",
    "not_eligible.not_target": "{campaign}: sorry, this offer is for {audience}.",
    "not_eligible.requires:cmmb_handset": "{campaign}: your handset does not support CMMB mobile TV.",
    "not_eligible.requires:mobile_payment": "{campaign}: this offer needs a mobile-payment account first.",
    "not_eligible.tenure_under_3_years": "{campaign}: this offer needs 3 years on the network within the next year.",
    "not_eligible.no_bundle_ending": "{campaign}: this offer is for VIP cards, or stable/new high-end customers whose contract ends within 3 months.",
    "campaign_inactive": "{campaign}: the offer runs {starts_on} to {ends_on}; it is not open now.",
    "confirm": "{campaign}: you asked for {summary}. Reply Y within {hours} hours to order; without it nothing is ordered.",
    "menu.options": "{campaign}: reply {keyword} + code: {options}. {extra}",
    "invalid_argument.options": "{campaign}: no such code. Reply {keyword} + code: {options}.",
    "option": "{code} {name}",
    "free.activated": (
        "{campaign}: {package} ({fee} yuan/month) is active from today and this month's "
        "fee is waived; {months} free months run {free_from} to {free_until}, saving "
        "{waived} yuan. We remind you before it ends; nothing is charged without your consent."
    ),
    "free.summary": "{package} ({fee} yuan/month), free {free_from} to {free_until}",
    "free.extra": "You get {months} free months.",
    "rebate.activated": (
        "{campaign}: {offer} ordered: pre-store {prestore} yuan, {fee} yuan/month, "
        "{months}-month contract ({starts_on} to {ends_on}), {given}."
    ),
    "rebate.summary": "{offer}: pre-store {prestore} yuan, {fee} yuan/month, {months}-month contract, {given}; to cancel, call 10086",
    "rebate.credit": "{credit} yuan of call credit back",
    "rebate.device": "a {device} (worth {worth} yuan) given",
    "rebate.extra": "Each order asks you to reply Y.",
    "care.activated": "{campaign}: free care insurance for {insured} is ordered, nothing is charged; cover runs {starts_on} to {ends_on}.",
    "care.summary": "free care insurance for {insured} (no charge), cover {starts_on} to {ends_on}",
    "care.menu": "{campaign}: reply {keyword} + the insured person's name, e.g. {keyword} Zhang San.",
    "care.invalid_argument": "{campaign}: reply {keyword} + the insured person's name (2 to 20 letters).",
    "reward.activated": (
        "{campaign}: your {months}-month tenure contract (0 yuan minimum, {starts_on} to {ends_on}) "
        "is signed: each month with {spend} yuan of spend earns {minutes} free minutes the next month."
    ),
    "reward.summary": "a {months}-month tenure contract (0 yuan minimum): {minutes} free minutes after each month with {spend} yuan of spend; to cancel, call 10086",
    "balance": "Balance: as of {today} your balance is {balance} yuan.",
    "packages": "Your services: {items}.",
    "packages.none": "You have no offers ordered through the SMS business hall.",
    "packages.item": "{name} ({period})",
    "period.free_until": "free until {ends_on}",
    "period.until": "until {ends_on}",
    "period.kept": "{fee} yuan/month",
    "period.kept_free_until": "free until {ends_on}, then {fee} yuan/month",
    "vip.card": "VIP: you hold a GoTone {level} card, no. {card_no}, valid until {valid_to}{manager}.",
    "vip.manager": ", account manager {manager}",
    "vip.photographed": "VIP: you are a {level} customer with mid-to-high-end service.",
    "vip.none": "VIP: you are not a VIP customer yet.",
    "level.vip_diamond": "diamond",
    "level.vip_gold": "gold",
    "level.vip_silver": "silver",
    "level.important_photographed": "important photographed",
    "level.photographed": "photographed",
    "birthday.applies": "Birthday: your birthday is {month}/{day}; domestic calls are free that day. Next: {next}.",
    "birthday.no_birthday": "Birthday: we have no birthday on record; ask your account manager to add it.",
    "birthday.not_eligible": "Birthday: free birthday calls are for mid-to-high-end customers.",
    "birthday.not_started": "Birthday: free birthday calls start on {starts_on}; they do not apply yet.",
    "birthday.ended": "Birthday: free birthday calls ended on {ends_on}; they no longer apply.",
    "birthday.ends_before_birthday": "Birthday: free birthday calls end on {ends_on}, before your next birthday ({next}), so they will not apply then.",
    "service_list": "Your services: {items}. Reply with numbers to cancel (e.g. 1,3) within {hours} hours.",
    "service_list.none": "You have no services to cancel.",
    "service_list.item": "{number} {name}",
    "cancelled": "Cancelled from today: {services}. Nothing more is charged.",
    "not_cancellable": "{service} is a contract and cannot be cancelled by SMS; call 10086.",
    "no_such_service": "No service {echo}; send 0000 to list yours.",
    "cancel.invalid_numbers": "No such numbers; reply with numbers from the list, e.g. 1,3.",
    "opted_out": "You will get no more reminders or greetings. Reply START to opt back in.",
    "opted_in": "Reminders and greetings are back on. Reply T to opt out.",
    "nothing_pending": "Nothing is waiting for your Y. Send CD for the menu.",
    "rate_limited": "Too many messages; please try again in a few minutes.",
    "service_error": "Sorry, we could not handle your message just now; nothing was changed. Please try again later or call 10086.",
    "order_closed": "That offer has closed; nothing was ordered or charged.",
    "ussd.declined": "Cancelled; nothing was ordered.",
    "ussd.see_sms": "Done. The details are on their way by SMS.",
    "did_you_mean": 'Did you mean "{echo}"? Reply Y to send it.',
    "menu.main": "SMS business hall, reply with a number: {entries}",
    "menu.sub": "{title}, reply with a number: {entries} 0 back",
    "menu.entry": "{number} {label}",
    "help": "Commands: CXYE balance, CXTC services, CXVIP VIP, {campaigns}0000 cancel, CD menu, T opt out.",
    "help.campaign": "{keyword} {name}, ",
    "unknown_subscriber": "Sorry, we have no record of your number; this service is for our customers.",
    "unknown_keyword": 'Sorry, "{echo}" is not a command. {help}',
    "notice.reminder": (
        "{campaign}: your {package} is free until {ends_on}. Reply Y within {hours} hours to keep "
        "it at {fee} yuan/month; otherwise it ends then and nothing is charged."
    ),
    "notice.lapsed": "{campaign}: your {package} free trial ended on {ends_on} and is cancelled; nothing was charged.",
    "notice.kept": "{campaign}: you keep {package} at {fee} yuan/month from {starts_on}; reply QX{code} to cancel.",
    "notice.birthday": "Happy birthday! Your domestic calls are free today.",
    "notice.credit": "Tenure reward: your spend in {month} earns {minutes} free minutes for {credited}.",
    "notice.opt_out_hint": "Reply T to opt out",
}

TEMPLATES: Mapping[Language, Mapping[str, str]] = {Language.ZH: ZH, Language.EN: EN}


def yuan(fen: int) -> str:
    """Money for people: whole yuan without decimals, else two decimals."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}" if cents == 0 else f"{sign}{whole}.{cents:02d}"


def day(value: date, language: Language) -> str:
    if language is Language.ZH:
        return f"{value.year}年{value.month}月{value.day}日"
    return value.isoformat()


def render(key: str, language: Language, **values: object) -> str:
    """Fill a template; dates and money must already be formatted by the caller."""
    return TEMPLATES[language][key].format(**values)


def with_opt_out_hint(text: str, language: Language) -> str:
    """Messages that are not answers carry the opt-out hint (DOMAIN.md §7a)."""
    separator = "" if language is Language.ZH else " "
    return f"{text}{separator}{render('notice.opt_out_hint', language)}"


def help_text(campaigns: Iterable[tuple[str, str, str]], language: Language) -> str:
    """The command list, with the keyword and name of each open campaign
    (`(keyword, name_zh, name_en)`), so a closed one is never offered."""
    zh = language is Language.ZH
    listed = ("" if not zh else " ").join(
        render("help.campaign", language, keyword=k, name=n_zh if zh else n_en)
        for k, n_zh, n_en in campaigns
    )
    return render("help", language, campaigns=listed)


def joined(items: list[str], language: Language) -> str:
    return ("；" if language is Language.ZH else "; ").join(items)


def with_echo(key: str, language: Language, echo: str, max_parts: int, **values: object) -> str:
    """`render` for a template that quotes the subscriber (`{echo}`), kept to
    `max_parts` SMS parts by cutting only the quote, with an ellipsis.

    A quote is first cut to a few dozen characters: one long MO must never
    become many MT (a 2,999-character typo once drew 45 submit_sm). Should the
    facts alone need more parts, they go whole and the quote goes empty."""
    shown = excerpt(echo)
    while True:
        text = render(key, language, echo=shown, **values)
        if len(split(text).parts) <= max_parts or not shown:
            return text
        shown = excerpt(shown, len(shown) - 1) if len(shown) > 1 else ""
