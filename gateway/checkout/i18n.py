"""The checkout page's languages (Kazakh, Russian, English) and how one is chosen.

Choice order: an explicit `?lang=` (the visible switcher's links), then the browser's
Accept-Language (q-values honoured, `ru-RU` matches `ru`), then `CHECKOUT_DEFAULT_LANG`.
Every catalog has the same keys; values are `str.format` templates with named fields, and the
browser script fills the same `{name}` fields in the subset it receives (`SCRIPT_KEYS`).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

LANGUAGES: Final = ("kk", "ru", "en")

# Each language's own name for itself: what a reader of that language looks for.
NATIVE_NAMES: Final = {"kk": "Қазақша", "ru": "Русский", "en": "English"}

EN: Final[dict[str, str]] = {
    "page_title": "Payment to {merchant}",
    "amount_due": "Amount due",
    "order": "Order {order_id}",
    "choose_option": "Choose how to pay",
    "option_label": "Pay with {asset} on {chain}",
    "option_unavailable": "temporarily unavailable",
    "scan_qr": "Scan the QR code with your wallet",
    "qr_label": "QR code: pay {amount} {asset} on {chain}",
    "open_wallet": "Open in wallet",
    "open_wallet_label": "Open in wallet: pay {amount} {asset} on {chain}",
    "exact_amount": "Exact amount",
    "address": "Deposit address",
    "recipient": "Recipient",
    "network": "Network",
    "copy": "Copy",
    "copied": "Copied",
    "copy_failed": "Select the text and copy it by hand",
    "copy_amount_label": "Copy the amount",
    "copy_address_label": "Copy the address",
    "hint_bsc": "Send exactly this amount to this address on BNB Chain. Funds sent on another "
                "network are lost.",
    "hint_solana": "Pay with the QR code or the wallet button: they carry the reference that "
                   "identifies your payment.",
    "time_left": "Time left",
    "countdown_label": "Time left to pay",
    "time_up": "Time is up",
    "status_label": "Payment status",
    "status_waiting": "Waiting for your payment",
    "status_partial": "Part of the payment has arrived. Please pay the remaining amount.",
    "status_processing": "Payment seen, waiting for confirmation…",
    "status_paid": "Paid. Thank you!",
    "status_expired": "This invoice has expired. Do not send a payment.",
    "status_late": "Your payment arrived after the invoice expired. The shop will contact you "
                   "about it.",
    "status_invalid": "The payment was not confirmed by the network.",
    "status_cancelled": "The shop cancelled this invoice. Do not send a payment.",
    "overpaid_note": "You paid more than required; the shop may refund the difference.",
    "paid_so_far": "Paid so far",
    "remaining": "Remaining",
    "remainder_note": "New QR code for the remaining amount",
    "back_to_shop": "Return to {merchant}",
    "redirect_in": "Returning to the shop in {seconds} s",
    "language": "Language",
    "invoice": "Invoice",
    "not_found_title": "Invoice not found",
    "not_found_text": "Check the link, or ask the shop for a new one.",
    "noscript": "Turn on JavaScript to see the status update by itself, or reload the page.",
    "decimal_separator": ".",
}

RU: Final[dict[str, str]] = {
    "page_title": "Оплата: {merchant}",
    "amount_due": "К оплате",
    "order": "Заказ {order_id}",
    "choose_option": "Выберите способ оплаты",
    "option_label": "Оплатить {asset} в сети {chain}",
    "option_unavailable": "временно недоступно",
    "scan_qr": "Отсканируйте QR-код кошельком",
    "qr_label": "QR-код: оплата {amount} {asset} в сети {chain}",
    "open_wallet": "Открыть в кошельке",
    "open_wallet_label": "Открыть в кошельке: оплата {amount} {asset} в сети {chain}",
    "exact_amount": "Точная сумма",
    "address": "Адрес для оплаты",
    "recipient": "Получатель",
    "network": "Сеть",
    "copy": "Копировать",
    "copied": "Скопировано",
    "copy_failed": "Выделите текст и скопируйте вручную",
    "copy_amount_label": "Скопировать сумму",
    "copy_address_label": "Скопировать адрес",
    "hint_bsc": "Отправьте ровно эту сумму на этот адрес в сети BNB Chain. Средства, "
                "отправленные в другой сети, будут потеряны.",
    "hint_solana": "Платите по QR-коду или кнопкой кошелька: в них есть метка, по которой мы "
                   "узнаём ваш платёж.",
    "time_left": "Осталось времени",
    "countdown_label": "Время на оплату",
    "time_up": "Время вышло",
    "status_label": "Статус оплаты",
    "status_waiting": "Ожидаем ваш платёж",
    "status_partial": "Получена часть оплаты. Оплатите оставшуюся сумму.",
    "status_processing": "Платёж получен, ждём подтверждения…",
    "status_paid": "Оплачено. Спасибо!",
    "status_expired": "Срок действия счёта истёк. Не отправляйте платёж.",
    "status_late": "Ваш платёж пришёл после истечения срока счёта. Магазин свяжется с вами.",
    "status_invalid": "Платёж не подтвердился в сети.",
    "status_cancelled": "Магазин отменил этот счёт. Не отправляйте платёж.",
    "overpaid_note": "Вы заплатили больше нужного; магазин может вернуть разницу.",
    "paid_so_far": "Уже оплачено",
    "remaining": "Осталось",
    "remainder_note": "Новый QR-код на оставшуюся сумму",
    "back_to_shop": "Вернуться в магазин «{merchant}»",
    "redirect_in": "Возвращаем в магазин через {seconds} с",
    "language": "Язык",
    "invoice": "Счёт",
    "not_found_title": "Счёт не найден",
    "not_found_text": "Проверьте ссылку или попросите у магазина новую.",
    "noscript": "Включите JavaScript, чтобы статус обновлялся сам, или обновите страницу.",
    "decimal_separator": ",",
}

KK: Final[dict[str, str]] = {
    "page_title": "Төлем: {merchant}",
    "amount_due": "Төлеуге",
    "order": "Тапсырыс {order_id}",
    "choose_option": "Төлем тәсілін таңдаңыз",
    "option_label": "{chain} желісінде {asset} арқылы төлеу",
    "option_unavailable": "уақытша қолжетімсіз",
    "scan_qr": "QR кодты әмиянмен сканерлеңіз",
    "qr_label": "QR код: {chain} желісінде {amount} {asset} төлеу",
    "open_wallet": "Әмиянда ашу",
    "open_wallet_label": "Әмиянда ашу: {chain} желісінде {amount} {asset} төлеу",
    "exact_amount": "Нақты сома",
    "address": "Төлем мекенжайы",
    "recipient": "Алушы",
    "network": "Желі",
    "copy": "Көшіру",
    "copied": "Көшірілді",
    "copy_failed": "Мәтінді белгілеп, қолмен көшіріңіз",
    "copy_amount_label": "Соманы көшіру",
    "copy_address_label": "Мекенжайды көшіру",
    "hint_bsc": "Дәл осы соманы BNB Chain желісінде осы мекенжайға жіберіңіз. Басқа желіде "
                "жіберілген қаражат жоғалады.",
    "hint_solana": "QR кодпен немесе әмиян батырмасымен төлеңіз: оларда төлеміңізді "
                   "анықтайтын белгі бар.",
    "time_left": "Қалған уақыт",
    "countdown_label": "Төлеуге қалған уақыт",
    "time_up": "Уақыт бітті",
    "status_label": "Төлем күйі",
    "status_waiting": "Төлеміңізді күтудеміз",
    "status_partial": "Төлемнің бір бөлігі түсті. Қалған соманы төлеңіз.",
    "status_processing": "Төлем көрінді, растауды күтудеміз…",
    "status_paid": "Төленді. Рақмет!",
    "status_expired": "Шоттың мерзімі өтті. Төлем жібермеңіз.",
    "status_late": "Төлеміңіз шоттың мерзімі өткеннен кейін түсті. Дүкен сізбен хабарласады.",
    "status_invalid": "Төлем желіде расталмады.",
    "status_cancelled": "Дүкен бұл шотты жойды. Төлем жібермеңіз.",
    "overpaid_note": "Сіз қажетті сомадан артық төледіңіз; дүкен айырмасын қайтаруы мүмкін.",
    "paid_so_far": "Төленгені",
    "remaining": "Қалғаны",
    "remainder_note": "Қалған сомаға арналған жаңа QR код",
    "back_to_shop": "«{merchant}» дүкеніне оралу",
    "redirect_in": "{seconds} с кейін дүкенге қайтарамыз",
    "language": "Тіл",
    "invoice": "Шот",
    "not_found_title": "Шот табылмады",
    "not_found_text": "Сілтемені тексеріңіз немесе дүкеннен жаңа сілтеме сұраңыз.",
    "noscript": "Күй өздігінен жаңаруы үшін JavaScript қосыңыз немесе бетті жаңартыңыз.",
    "decimal_separator": ",",
}

CATALOGS: Final[dict[str, dict[str, str]]] = {"kk": KK, "ru": RU, "en": EN}

# What the browser script needs to react to live events without another request.
SCRIPT_KEYS: Final = (
    "status_waiting", "status_partial", "status_processing", "status_paid", "status_expired",
    "status_late", "status_invalid", "status_cancelled", "overpaid_note", "copied",
    "copy_failed", "copy", "redirect_in", "time_up", "decimal_separator",
)


def placeholders(template: str) -> frozenset[str]:
    """The named fields of a catalog value (`"Pay {amount}"` -> {"amount"})."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


@dataclass(frozen=True)
class Translator:
    """One language's catalog; `t("key", name=value)` fills the named fields."""

    lang: str

    def __call__(self, key: str, **fields: object) -> str:
        template = CATALOGS[self.lang][key]
        return template.format(**fields) if fields else template

    def script_catalog(self) -> dict[str, str]:
        return {key: CATALOGS[self.lang][key] for key in SCRIPT_KEYS}


def _accepted(header: str) -> list[tuple[Decimal, int, str]]:
    """(q, position, primary tag) of each Accept-Language item, unparseable items skipped."""
    items = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = Decimal(1)
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                q = Decimal(value.strip()[:5])
            except InvalidOperation:
                continue
            if not q.is_finite():
                continue
        primary = tag.strip().split("-")[0].lower()
        if primary and q > 0:
            items.append((q, position, primary))
    return items


def from_accept_language(header: str | None) -> str | None:
    """The most preferred of LANGUAGES in an Accept-Language header, or None."""
    if not header:
        return None
    best = sorted(_accepted(header[:1000]), key=lambda item: (-item[0], item[1]))
    for _, _, primary in best:
        if primary in LANGUAGES:
            return primary
    return None


def choose_language(query_lang: str | None, accept_language: str | None, default: str) -> str:
    """`?lang=` when it names one of LANGUAGES, else Accept-Language, else `default`."""
    if query_lang in LANGUAGES:
        return str(query_lang)
    return from_accept_language(accept_language) or default
