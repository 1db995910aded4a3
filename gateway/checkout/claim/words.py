"""The claim page's words in Kazakh, Russian and English (the checkout's languages, chosen the
checkout's way: gateway.checkout.i18n.choose_language). Every catalog has the same keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

EN: Final[dict[str, str]] = {
    "page_title": "Refund from {merchant}",
    "language": "Language",
    "refund_amount": "Refund amount",
    "choose_asset": "Which coin did you pay with?",
    "asset_label": "{asset} on {chain}",
    "address_label": "Your wallet address for the refund",
    "address_hint": "Copy the address from your wallet on the same network: the refund is sent "
                    "there and cannot be called back.",
    "submit": "Get my refund",
    "error_address": "This is not a valid {chain} address. Copy it again from your wallet.",
    "error_asset": "Choose the coin you paid with.",
    "error_form": "This form has expired. Reload the page and try again.",
    "error_other": "The refund could not be claimed: {detail}",
    "status_label": "Refund status",
    "status_awaiting_address": "Tell us where to send your refund.",
    "status_pending_approval": "Your refund is waiting for approval. This usually takes "
                               "less than a working day.",
    "status_sending": "Your refund is being sent…",
    "status_sent": "Sent. Waiting for the network to confirm…",
    "status_succeeded": "Refund received. Thank you!",
    "status_failed": "The refund could not be sent. The shop will contact you.",
    "status_cancelled": "This refund was cancelled by the shop.",
    "to_address": "To address",
    "network": "Network",
    "transaction": "Transaction",
    "auto_update": "This page updates itself.",
    "refund": "Refund",
    "not_found_title": "Refund not found",
    "not_found_text": "Check the link, or ask the shop for a new one.",
}

RU: Final[dict[str, str]] = {
    "page_title": "Возврат от «{merchant}»",
    "language": "Язык",
    "refund_amount": "Сумма возврата",
    "choose_asset": "Какой монетой вы платили?",
    "asset_label": "{asset} в сети {chain}",
    "address_label": "Адрес вашего кошелька для возврата",
    "address_hint": "Скопируйте адрес из кошелька в той же сети: возврат уйдёт туда, и "
                    "отменить его нельзя.",
    "submit": "Получить возврат",
    "error_address": "Это неверный адрес в сети {chain}. Скопируйте его из кошелька ещё раз.",
    "error_asset": "Выберите монету, которой вы платили.",
    "error_form": "Форма устарела. Обновите страницу и попробуйте снова.",
    "error_other": "Не удалось оформить возврат: {detail}",
    "status_label": "Статус возврата",
    "status_awaiting_address": "Укажите, куда отправить возврат.",
    "status_pending_approval": "Возврат ждёт подтверждения. Обычно это занимает меньше "
                               "рабочего дня.",
    "status_sending": "Отправляем возврат…",
    "status_sent": "Отправлено. Ждём подтверждения сети…",
    "status_succeeded": "Возврат получен. Спасибо!",
    "status_failed": "Не удалось отправить возврат. Магазин свяжется с вами.",
    "status_cancelled": "Магазин отменил этот возврат.",
    "to_address": "На адрес",
    "network": "Сеть",
    "transaction": "Транзакция",
    "auto_update": "Страница обновляется сама.",
    "refund": "Возврат",
    "not_found_title": "Возврат не найден",
    "not_found_text": "Проверьте ссылку или попросите у магазина новую.",
}

KK: Final[dict[str, str]] = {
    "page_title": "«{merchant}» дүкенінен қайтарым",
    "language": "Тіл",
    "refund_amount": "Қайтарылатын сома",
    "choose_asset": "Қай монетамен төледіңіз?",
    "asset_label": "{chain} желісіндегі {asset}",
    "address_label": "Қайтарымға арналған әмиян мекенжайыңыз",
    "address_hint": "Мекенжайды әмияныңыздан сол желіде көшіріңіз: қайтарым соған жіберіледі "
                    "және оны кері қайтару мүмкін емес.",
    "submit": "Қайтарымды алу",
    "error_address": "Бұл {chain} желісінің жарамды мекенжайы емес. Оны әмияныңыздан қайта "
                     "көшіріңіз.",
    "error_asset": "Төлеген монетаңызды таңдаңыз.",
    "error_form": "Форманың мерзімі өтті. Бетті жаңартып, қайталап көріңіз.",
    "error_other": "Қайтарымды рәсімдеу мүмкін болмады: {detail}",
    "status_label": "Қайтарым күйі",
    "status_awaiting_address": "Қайтарымды қайда жіберу керектігін көрсетіңіз.",
    "status_pending_approval": "Қайтарым растауды күтуде. Әдетте бұл бір жұмыс күнінен аз "
                               "уақыт алады.",
    "status_sending": "Қайтарымды жіберудеміз…",
    "status_sent": "Жіберілді. Желінің растауын күтудеміз…",
    "status_succeeded": "Қайтарым алынды. Рақмет!",
    "status_failed": "Қайтарымды жіберу мүмкін болмады. Дүкен сізбен хабарласады.",
    "status_cancelled": "Дүкен бұл қайтарымды жойды.",
    "to_address": "Мекенжайға",
    "network": "Желі",
    "transaction": "Транзакция",
    "auto_update": "Бет өздігінен жаңарады.",
    "refund": "Қайтарым",
    "not_found_title": "Қайтарым табылмады",
    "not_found_text": "Сілтемені тексеріңіз немесе дүкеннен жаңа сілтеме сұраңыз.",
}

CATALOGS: Final[dict[str, dict[str, str]]] = {"kk": KK, "ru": RU, "en": EN}


@dataclass(frozen=True)
class ClaimWords:
    """One language's claim words; `t("key", name=value)` fills the named fields."""

    lang: str

    def __call__(self, key: str, **fields: object) -> str:
        template = CATALOGS[self.lang][key]
        return template.format(**fields) if fields else template
