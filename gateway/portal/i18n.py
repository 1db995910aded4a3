"""The portal's and point of sale's words in Kazakh, Russian and English.

The language is chosen like the checkout's (gateway.checkout.i18n.choose_language): `?lang=`
(the switcher's links, then remembered in a cookie), else Accept-Language, else the
checkout's default. Every catalog has the same keys (a test checks).
"""

from __future__ import annotations

from typing import Final

from gateway.checkout.i18n import LANGUAGES as LANGUAGES
from gateway.checkout.i18n import NATIVE_NAMES as NATIVE_NAMES

EN: Final[dict[str, str]] = {
    "page_not_found": "Not found: this shop has no such page.",
    "backspace": "Delete the last digit",
    "amount_format": "Type the amount in tenge, e.g. 1500 or 1500.50.",
    "amount_zero": "The amount must be more than zero.",
    "amount_or_items": "Type an amount or choose items.",
    "no_sales_today": "No paid charges on this day yet.",
    "no_terminals_manage": "No terminals yet: add the first on the Terminals page.",
    "no_terminals_ask": "No terminals yet: ask the shop's owner or a manager to add one.",
    "no_terminals": "No terminals yet: name one above (\"Till 1\", \"Terrace\").",
    "no_items": "No items yet: the keypad works without them; an item is a one-tap button "
                "with its price.",
    "no_keys": "No API keys yet.",
    "brand": "CryptoCity Pay for business",
    "language": "Language",
    "sign_in": "Sign in", "sign_out": "Sign out", "email": "Email", "password": "Password",
    "code": "Code from your authenticator app", "continue": "Continue",
    "accept_invite": "Create your account",
    "invite_for": "You are invited to {merchant} as {role}.",
    "password_rule": "At least 10 characters.",
    "nav_today": "Today", "nav_invoices": "Invoices", "nav_payouts": "Payouts",
    "nav_developers": "Developers", "nav_team": "Team", "nav_audit": "Audit log",
    "nav_terminals": "Terminals", "nav_pos": "Point of sale", "nav_account": "My account",
    "today_title": "Today, {day}", "sales": "Sales", "sales_count": "{count} paid",
    "pending": "Waiting for payment", "stranded": "Money to resolve",
    "next_payout": "Next payout", "no_payout": "No payout scheduled",
    "times_in": "Times in Asia/Almaty (UTC+5)",
    "search": "Search", "search_hint": "Invoice id, order id or description", "status": "Status",
    "any_status": "Any status", "amount": "Amount", "paid": "Paid", "order": "Order",
    "created": "Created", "expires": "Expires", "nothing": "Nothing here yet.",
    "invoice": "Invoice", "payments": "Payments", "events": "Events", "asset": "Asset",
    "tx": "Transaction", "options": "Payment options", "rate": "Rate",
    "batches": "Settlement batches", "day": "Business day", "net": "Net", "payout": "Payout",
    "gross": "Gross", "fees": "Fees", "statement": "Statement", "from": "From", "to": "To",
    "download_csv": "Download CSV", "show": "Show",
    "api_keys": "API keys", "create_key": "Create API key", "revoke": "Revoke",
    "revoked": "Revoked", "active": "Active",
    "key_once": "Copy this key now: it is shown only once.",
    "webhooks": "Webhook endpoints", "openapi": "API reference (OpenAPI)", "url": "URL",
    "team": "People", "role": "Role", "invite": "Invite", "invite_link_once":
        "Send this link to {email}. It works once, until {expires}, and is shown only now.",
    "open_invites": "Open invites", "change": "Change", "disable": "Disable",
    "enable": "Enable", "disabled": "Disabled", "locked": "Locked", "two_factor": "Two-factor",
    "role_owner": "Owner", "role_manager": "Manager", "role_cashier": "Cashier",
    "role_accountant": "Accountant",
    "audit": "Audit log", "when": "When", "who": "Who", "what": "What", "target": "Target",
    "account": "My account", "totp_on": "Two-factor sign-in is on.",
    "totp_off": "Two-factor sign-in is off.", "totp_setup":
        "Add this key to your authenticator app, then type the code it shows.",
    "totp_enable": "Turn on", "totp_disable": "Turn off", "secret": "Key",
    "terminals": "Terminals", "terminal_name": "Terminal name", "add": "Add",
    "choose_terminal": "Choose a terminal", "charge": "Charge", "clear": "Clear",
    "note": "Note (optional)", "new_charge": "New charge", "day_report": "Day report",
    "scan_to_pay": "Scan to pay", "time_left": "Time left", "status_waiting": "Waiting for payment",
    "status_partial": "Part paid: waiting for the rest", "status_processing":
        "Payment seen, confirming…", "status_paid": "Paid", "status_expired": "Expired",
    "status_invalid": "Payment failed", "status_cancelled": "Cancelled",
    "stand_idle": "No charge yet: the page shows it as soon as the cashier makes it.",
    "stand_scan": "Scan to pay here", "stand_solana": "Solana wallets: scan here",
    "sticker": "Stand sticker", "address": "Address",
    "create_test_key": "Create test key", "test_mode": "test mode",
    "test_mode_hint": "Test keys (ccp_test_) make test invoices, paid on test networks: they "
                      "never reach settlement, payouts or reports (livemode: false).",
    "accepted_assets": "Accepted assets", "default_expiry": "Default expiry, minutes",
    "tolerance_bps": "Payment tolerance, basis points", "tolerance_kzt": "Payment tolerance, ₸",
    "late_window": "Late payments accepted for, minutes",
    "redirect_domains": "Domains redirect_url may name (one per line)",
    "zone_default": "Blank: the zone's default.", "save": "Save", "saved": "Saved.",
    "remaining": "Remaining", "deliveries": "Delivery log", "attempts": "Attempts",
    "redeliver": "Send again",
    "endpoint_url": "Endpoint URL (https)", "all_events": "All events",
    "endpoint_note": "Note (optional)", "add_endpoint": "Add endpoint", "delete": "Delete",
    "endpoint_secret_once": "Signing secret of {url}: copy it now, it is shown only once.",
    "endpoint_signature_hint": "Each webhook carries a CryptoCity-Signature header: "
                               "t=<unix time>,v1=<HMAC-SHA256 of \"t.body\" with this secret>.",
    "endpoint_delete_confirm": "Delete the endpoint {url}? Nothing more is sent to it.",
    "endpoint_mode": "Mode", "mode_live": "Live", "mode_test": "Test",
    "endpoint_mode_hint": "A test endpoint receives only the events of test invoices "
                          "(ccp_test_ keys); a live one only live events.",
    "copy": "Copy", "items": "Items", "item_name": "Item", "price": "Price, ₸",
    "remove": "Remove", "quantity": "Quantity", "plus": "Add one", "minus": "Remove one",
    "open_wallet": "Open in wallet", "keep_receipt": "Scan to keep this receipt",
    "receipt": "Receipt", "print": "Print", "thank_you": "Thank you!",
    "receipt_link": "Your receipt", "total": "Total", "count": "Count",
    "forbidden": "Your role does not allow this page.", "error": "Something went wrong",
    "back": "Back", "not_found": "Not found", "settings": "Settings",
    "nav_refunds": "Refunds", "refunds": "Refunds", "refundable": "Refundable",
    "refund_button": "Refund", "refund_amount": "Amount, ₸ (blank: everything refundable)",
    "refund_asset": "Coin", "refund_asset_paid": "The coin the shopper paid with",
    "refund_address": "Shopper's address (optional)",
    "refund_address_hint": "Blank: the shopper gets a claim link, picks the coin and gives "
                           "an address.",
    "refund_rate": "Rate for a refund of the sale", "rate_current": "Current rate",
    "rate_locked": "The invoice's rate", "refund_reason": "Reason (optional)",
    "refund_created": "Refund created.", "claim_link": "Claim link for the shopper",
    "refund_waits": "Refunds above the zone's limit wait for the operator's approval.",
}

RU: Final[dict[str, str]] = {
    "page_not_found": "Не найдено: в этом магазине такой страницы нет.",
    "backspace": "Удалить последнюю цифру",
    "amount_format": "Введите сумму в тенге, например 1500 или 1500,50.",
    "amount_zero": "Сумма должна быть больше нуля.",
    "amount_or_items": "Введите сумму или выберите товары.",
    "no_sales_today": "За этот день оплаченных продаж пока нет.",
    "no_terminals_manage": "Терминалов пока нет: добавьте первый на странице «Терминалы».",
    "no_terminals_ask": "Терминалов пока нет: попросите владельца или менеджера добавить.",
    "no_terminals": "Терминалов пока нет: назовите первый выше («Касса 1», «Терраса»).",
    "no_items": "Товаров пока нет: клавиатура работает и без них; товар — кнопка с ценой "
                "в одно касание.",
    "no_keys": "API-ключей пока нет.",
    "brand": "CryptoCity Pay для бизнеса",
    "language": "Язык",
    "sign_in": "Войти", "sign_out": "Выйти", "email": "Эл. почта", "password": "Пароль",
    "code": "Код из приложения-аутентификатора", "continue": "Продолжить",
    "accept_invite": "Создайте учётную запись",
    "invite_for": "Вас приглашают в {merchant}: {role}.",
    "password_rule": "Не короче 10 символов.",
    "nav_today": "Сегодня", "nav_invoices": "Счета", "nav_payouts": "Выплаты",
    "nav_developers": "Разработчикам", "nav_team": "Сотрудники", "nav_audit": "Журнал",
    "nav_terminals": "Терминалы", "nav_pos": "Касса", "nav_account": "Мой профиль",
    "today_title": "Сегодня, {day}", "sales": "Продажи", "sales_count": "оплачено: {count}",
    "pending": "Ждут оплаты", "stranded": "Требуют решения",
    "next_payout": "Следующая выплата", "no_payout": "Выплата не запланирована",
    "times_in": "Время по Алматы (UTC+5)",
    "search": "Найти", "search_hint": "Номер счёта, заказа или описание", "status": "Статус",
    "any_status": "Любой статус", "amount": "Сумма", "paid": "Оплачено", "order": "Заказ",
    "created": "Создан", "expires": "Истекает", "nothing": "Пока пусто.",
    "invoice": "Счёт", "payments": "Платежи", "events": "События", "asset": "Актив",
    "tx": "Транзакция", "options": "Способы оплаты", "rate": "Курс",
    "batches": "Расчётные пакеты", "day": "Операционный день", "net": "К выплате",
    "payout": "Выплата", "gross": "Оборот", "fees": "Комиссии", "statement": "Выписка",
    "from": "С", "to": "По", "download_csv": "Скачать CSV", "show": "Показать",
    "api_keys": "API-ключи", "create_key": "Создать API-ключ", "revoke": "Отозвать",
    "revoked": "Отозван", "active": "Действует",
    "key_once": "Скопируйте ключ сейчас: он показывается только один раз.",
    "webhooks": "Вебхуки", "openapi": "Описание API (OpenAPI)", "url": "URL",
    "team": "Сотрудники", "role": "Роль", "invite": "Пригласить", "invite_link_once":
        "Отправьте эту ссылку на {email}. Она действует один раз, до {expires}, и видна "
        "только сейчас.",
    "open_invites": "Неиспользованные приглашения", "change": "Изменить",
    "disable": "Отключить", "enable": "Включить", "disabled": "Отключён",
    "locked": "Заблокирован", "two_factor": "Двухфакторный вход",
    "role_owner": "Владелец", "role_manager": "Менеджер", "role_cashier": "Кассир",
    "role_accountant": "Бухгалтер",
    "audit": "Журнал действий", "when": "Когда", "who": "Кто", "what": "Что",
    "target": "Объект",
    "account": "Мой профиль", "totp_on": "Двухфакторный вход включён.",
    "totp_off": "Двухфакторный вход выключен.", "totp_setup":
        "Добавьте этот ключ в приложение-аутентификатор и введите показанный код.",
    "totp_enable": "Включить", "totp_disable": "Выключить", "secret": "Ключ",
    "terminals": "Терминалы", "terminal_name": "Название терминала", "add": "Добавить",
    "choose_terminal": "Выберите терминал", "charge": "Выставить", "clear": "Сброс",
    "note": "Комментарий (необязательно)", "new_charge": "Новая оплата",
    "day_report": "Отчёт за день",
    "scan_to_pay": "Отсканируйте для оплаты", "time_left": "Осталось",
    "status_waiting": "Ожидаем оплату", "status_partial": "Оплачено частично: ждём остаток",
    "status_processing": "Платёж получен, подтверждаем…", "status_paid": "Оплачено",
    "status_expired": "Срок истёк", "status_invalid": "Платёж не прошёл",
    "status_cancelled": "Отменён",
    "stand_idle": "Пока нет оплаты: она появится здесь, как только кассир её выставит.",
    "stand_scan": "Сканируйте, чтобы оплатить здесь",
    "stand_solana": "Для кошельков Solana: сканируйте здесь", "sticker": "Наклейка на кассу",
    "address": "Адрес", "copy": "Копировать",
    "create_test_key": "Создать тестовый ключ", "test_mode": "тестовый режим",
    "test_mode_hint": "Тестовые ключи (ccp_test_) создают тестовые счета, оплачиваемые в "
                      "тестовых сетях: они не попадают в расчёты, выплаты и отчёты "
                      "(livemode: false).",
    "accepted_assets": "Принимаемые активы", "default_expiry": "Срок счёта по умолчанию, минут",
    "tolerance_bps": "Допуск оплаты, базисных пунктов", "tolerance_kzt": "Допуск оплаты, ₸",
    "late_window": "Поздние платежи принимаются, минут",
    "redirect_domains": "Домены для redirect_url (по одному в строке)",
    "zone_default": "Пусто: значение зоны по умолчанию.", "save": "Сохранить",
    "saved": "Сохранено.",
    "remaining": "Осталось оплатить", "deliveries": "Журнал доставки",
    "attempts": "Попытки", "redeliver": "Отправить снова",
    "endpoint_url": "URL получателя (https)", "all_events": "Все события",
    "endpoint_note": "Заметка (необязательно)", "add_endpoint": "Добавить получателя",
    "delete": "Удалить",
    "endpoint_secret_once": "Секрет подписи для {url}: скопируйте его сейчас, он "
                            "показывается только один раз.",
    "endpoint_signature_hint": "В каждом вебхуке есть заголовок CryptoCity-Signature: "
                               "t=<время unix>,v1=<HMAC-SHA256 от \"t.тело\" с этим секретом>.",
    "endpoint_delete_confirm": "Удалить получателя {url}? Ему больше ничего не отправится.",
    "endpoint_mode": "Режим", "mode_live": "Боевой", "mode_test": "Тест",
    "endpoint_mode_hint": "Тестовый получатель получает только события тестовых счетов "
                          "(ключи ccp_test_), боевой — только боевые.",
    "items": "Товары", "item_name": "Товар", "price": "Цена, ₸", "remove": "Убрать",
    "quantity": "Количество", "plus": "Добавить один", "minus": "Убрать один",
    "open_wallet": "Открыть в кошельке", "keep_receipt": "Отсканируйте, чтобы сохранить чек",
    "receipt": "Чек", "print": "Печать", "thank_you": "Спасибо!",
    "receipt_link": "Ваш чек", "total": "Итого", "count": "Количество",
    "forbidden": "Ваша роль не даёт доступа к этой странице.", "error": "Что-то пошло не так",
    "back": "Назад", "not_found": "Не найдено", "settings": "Настройки",
    "nav_refunds": "Возвраты", "refunds": "Возвраты", "refundable": "Можно вернуть",
    "refund_button": "Вернуть", "refund_amount": "Сумма, ₸ (пусто: всё, что можно вернуть)",
    "refund_asset": "Монета", "refund_asset_paid": "Та, которой платил покупатель",
    "refund_address": "Адрес покупателя (необязательно)",
    "refund_address_hint": "Пусто: покупатель получит ссылку, выберет монету и укажет "
                           "адрес сам.",
    "refund_rate": "Курс для возврата продажи", "rate_current": "Текущий курс",
    "rate_locked": "Курс счёта", "refund_reason": "Причина (необязательно)",
    "refund_created": "Возврат создан.", "claim_link": "Ссылка для покупателя",
    "refund_waits": "Возвраты выше лимита зоны ждут подтверждения оператора.",
}

KK: Final[dict[str, str]] = {
    "page_not_found": "Табылмады: бұл дүкенде мұндай бет жоқ.",
    "backspace": "Соңғы цифрды өшіру",
    "amount_format": "Соманы теңгемен енгізіңіз, мысалы 1500 немесе 1500,50.",
    "amount_zero": "Сома нөлден үлкен болуы керек.",
    "amount_or_items": "Соманы енгізіңіз немесе тауарларды таңдаңыз.",
    "no_sales_today": "Бұл күні төленген сатылым әлі жоқ.",
    "no_terminals_manage": "Терминалдар әлі жоқ: біріншісін «Терминалдар» бетінде қосыңыз.",
    "no_terminals_ask": "Терминалдар әлі жоқ: иесінен немесе менеджерден қосуды сұраңыз.",
    "no_terminals": "Терминалдар әлі жоқ: біріншісін жоғарыда атаңыз («Касса 1», «Терраса»).",
    "no_items": "Тауарлар әлі жоқ: пернетақта оларсыз да жұмыс істейді; тауар — бағасы бар "
                "бір басу түймесі.",
    "no_keys": "API кілттері әлі жоқ.",
    "brand": "CryptoCity Pay бизнеске",
    "language": "Тіл",
    "sign_in": "Кіру", "sign_out": "Шығу", "email": "Эл. пошта", "password": "Құпиясөз",
    "code": "Аутентификатор қолданбасындағы код", "continue": "Жалғастыру",
    "accept_invite": "Тіркелгі жасаңыз", "invite_for": "Сізді {merchant} шақырады: {role}.",
    "password_rule": "Кемінде 10 таңба.",
    "nav_today": "Бүгін", "nav_invoices": "Шоттар", "nav_payouts": "Төлемдер",
    "nav_developers": "Әзірлеушілерге", "nav_team": "Қызметкерлер", "nav_audit": "Журнал",
    "nav_terminals": "Терминалдар", "nav_pos": "Касса", "nav_account": "Менің профилім",
    "today_title": "Бүгін, {day}", "sales": "Сатылым", "sales_count": "төленді: {count}",
    "pending": "Төлемді күтуде", "stranded": "Шешім қажет",
    "next_payout": "Келесі төлем", "no_payout": "Төлем жоспарланбаған",
    "times_in": "Алматы уақыты (UTC+5)",
    "search": "Іздеу", "search_hint": "Шот, тапсырыс нөмірі немесе сипаттама",
    "status": "Күйі", "any_status": "Кез келген күй", "amount": "Сома", "paid": "Төленді",
    "order": "Тапсырыс", "created": "Құрылды", "expires": "Мерзімі", "nothing": "Әзірге бос.",
    "invoice": "Шот", "payments": "Төлемдер", "events": "Оқиғалар", "asset": "Актив",
    "tx": "Транзакция", "options": "Төлем тәсілдері", "rate": "Бағам",
    "batches": "Есеп айырысу пакеттері", "day": "Операциялық күн", "net": "Төленетін сома",
    "payout": "Төлем", "gross": "Айналым", "fees": "Комиссиялар", "statement": "Үзінді",
    "from": "Бастап", "to": "Дейін", "download_csv": "CSV жүктеу", "show": "Көрсету",
    "api_keys": "API кілттері", "create_key": "API кілтін жасау", "revoke": "Кері қайтару",
    "revoked": "Кері қайтарылды", "active": "Жарамды",
    "key_once": "Кілтті қазір көшіріңіз: ол тек бір рет көрсетіледі.",
    "webhooks": "Вебхуктар", "openapi": "API сипаттамасы (OpenAPI)", "url": "URL",
    "team": "Қызметкерлер", "role": "Рөлі", "invite": "Шақыру", "invite_link_once":
        "Бұл сілтемені {email} мекенжайына жіберіңіз. Ол бір рет, {expires} дейін жарамды "
        "және тек қазір көрсетіледі.",
    "open_invites": "Пайдаланылмаған шақырулар", "change": "Өзгерту", "disable": "Өшіру",
    "enable": "Қосу", "disabled": "Өшірілген", "locked": "Бұғатталған",
    "two_factor": "Екі факторлы кіру",
    "role_owner": "Иесі", "role_manager": "Менеджер", "role_cashier": "Кассир",
    "role_accountant": "Бухгалтер",
    "audit": "Әрекеттер журналы", "when": "Қашан", "who": "Кім", "what": "Не",
    "target": "Нысан",
    "account": "Менің профилім", "totp_on": "Екі факторлы кіру қосулы.",
    "totp_off": "Екі факторлы кіру өшірулі.", "totp_setup":
        "Бұл кілтті аутентификатор қолданбасына қосып, көрсетілген кодты енгізіңіз.",
    "totp_enable": "Қосу", "totp_disable": "Өшіру", "secret": "Кілт",
    "terminals": "Терминалдар", "terminal_name": "Терминал атауы", "add": "Қосу",
    "choose_terminal": "Терминалды таңдаңыз", "charge": "Төлем алу", "clear": "Тазалау",
    "note": "Түсініктеме (міндетті емес)", "new_charge": "Жаңа төлем",
    "day_report": "Күндік есеп",
    "scan_to_pay": "Төлеу үшін сканерлеңіз", "time_left": "Қалған уақыт",
    "status_waiting": "Төлем күтілуде", "status_partial": "Ішінара төленді: қалғаны күтілуде",
    "status_processing": "Төлем келді, расталуда…", "status_paid": "Төленді",
    "status_expired": "Мерзімі өтті", "status_invalid": "Төлем өтпеді",
    "status_cancelled": "Бас тартылды",
    "stand_idle": "Әзірге төлем жоқ: кассир жасаған сәтте осында көрінеді.",
    "stand_scan": "Осында төлеу үшін сканерлеңіз",
    "stand_solana": "Solana әмияндары үшін: осында сканерлеңіз", "sticker": "Кассаға жапсырма",
    "address": "Мекенжай", "copy": "Көшіру",
    "create_test_key": "Сынақ кілтін жасау", "test_mode": "сынақ режимі",
    "test_mode_hint": "Сынақ кілттері (ccp_test_) сынақ желілерінде төленетін сынақ шоттарын "
                      "жасайды: олар есеп айырысуға, төлемдерге және есептерге түспейді "
                      "(livemode: false).",
    "accepted_assets": "Қабылданатын активтер",
    "default_expiry": "Шоттың әдепкі мерзімі, минут",
    "tolerance_bps": "Төлем рұқсаты, базистік пункт", "tolerance_kzt": "Төлем рұқсаты, ₸",
    "late_window": "Кешіккен төлемдер қабылданады, минут",
    "redirect_domains": "redirect_url домендері (әр жолға біреу)",
    "zone_default": "Бос: аймақтың әдепкі мәні.", "save": "Сақтау", "saved": "Сақталды.",
    "remaining": "Төлеуге қалды", "deliveries": "Жеткізу журналы",
    "attempts": "Әрекеттер", "redeliver": "Қайта жіберу",
    "endpoint_url": "Қабылдаушы URL (https)", "all_events": "Барлық оқиғалар",
    "endpoint_note": "Ескертпе (міндетті емес)", "add_endpoint": "Қабылдаушы қосу",
    "delete": "Жою",
    "endpoint_secret_once": "{url} қолтаңба құпиясы: оны қазір көшіріңіз, ол тек бір рет "
                            "көрсетіледі.",
    "endpoint_signature_hint": "Әр вебхукта CryptoCity-Signature тақырыбы бар: "
                               "t=<unix уақыты>,v1=<осы құпиямен \"t.дене\" HMAC-SHA256>.",
    "endpoint_delete_confirm": "{url} қабылдаушысын жою керек пе? Оған енді ештеңе "
                               "жіберілмейді.",
    "endpoint_mode": "Режим", "mode_live": "Нақты", "mode_test": "Сынақ",
    "endpoint_mode_hint": "Сынақ қабылдаушысы тек сынақ шоттарының оқиғаларын алады "
                          "(ccp_test_ кілттері), нақтысы — тек нақты оқиғаларды.",
    "items": "Тауарлар", "item_name": "Тауар", "price": "Бағасы, ₸", "remove": "Алып тастау",
    "quantity": "Саны", "plus": "Біреуін қосу", "minus": "Біреуін алу",
    "open_wallet": "Әмиянда ашу", "keep_receipt": "Чекті сақтау үшін сканерлеңіз",
    "receipt": "Чек", "print": "Басып шығару", "thank_you": "Рақмет!",
    "receipt_link": "Сіздің чегіңіз", "total": "Барлығы", "count": "Саны",
    "forbidden": "Рөліңіз бұл бетке рұқсат бермейді.", "error": "Бірдеңе дұрыс болмады",
    "back": "Артқа", "not_found": "Табылмады", "settings": "Баптаулар",
    "nav_refunds": "Қайтарымдар", "refunds": "Қайтарымдар",
    "refundable": "Қайтаруға болады", "refund_button": "Қайтару",
    "refund_amount": "Сома, ₸ (бос: қайтаруға болатынның бәрі)", "refund_asset": "Монета",
    "refund_asset_paid": "Сатып алушы төлеген монета",
    "refund_address": "Сатып алушының мекенжайы (міндетті емес)",
    "refund_address_hint": "Бос: сатып алушы сілтеме алып, монетаны таңдап, мекенжайын "
                           "өзі көрсетеді.",
    "refund_rate": "Сатылымды қайтару бағамы", "rate_current": "Ағымдағы бағам",
    "rate_locked": "Шоттың бағамы", "refund_reason": "Себебі (міндетті емес)",
    "refund_created": "Қайтарым жасалды.", "claim_link": "Сатып алушыға арналған сілтеме",
    "refund_waits": "Аймақ лимитінен асатын қайтарымдар оператордың растауын күтеді.",
}

CATALOGS: Final = {"en": EN, "ru": RU, "kk": KK}

# Stored values people read (statuses, the statement's lines), per kind: what the database
# and the API say -> words. A value missing here reads as it is stored.
StateWords = dict[str, dict[str, str]]
EN_STATES: Final[StateWords] = {
    "invoice": {"new": "Waiting for payment", "processing": "Payment seen, confirming",
                "settled": "Paid", "expired": "Expired", "invalid": "Payment failed",
                "cancelled": "Cancelled"},
    "exception": {"paid_partial": "part paid", "paid_over": "overpaid",
                  "paid_late": "paid late", "marked": "marked by the operator"},
    "refund": {"awaiting_address": "Waiting for the shopper's address",
               "pending_approval": "Waiting for the operator's approval",
               "sending": "Sending", "sent": "Sent, confirming", "succeeded": "Refunded",
               "failed": "Failed", "cancelled": "Cancelled"},
    "batch": {"open": "Open", "closed": "Closed, payout next",
              "carried_forward": "Carried forward", "exported": "Sent to the bank",
              "paid": "Paid out", "failed": "Payout failed"},
    "transfer": {"detected": "Seen, confirming", "finalized": "Final",
                 "removed": "Dropped by the network"},
    "delivery": {"pending": "Waiting", "delivered": "Delivered", "failed": "Failed",
                 "cancelled": "Cancelled"},
    "statement": {"line": "Line", "count": "Count", "KZT": "₸",
                  "opening payable": "Owed to you at the start",
                  "settled invoices (gross)": "Paid invoices (gross)", "fees": "Fees",
                  "refunds": "Refunds", "adjustments": "Adjustments", "payouts": "Payouts",
                  "payouts returned": "Payouts returned",
                  "closing payable": "Owed to you at the end"},
}
RU_STATES: Final[StateWords] = {
    "invoice": {"new": "Ожидает оплаты", "processing": "Платёж получен, подтверждаем",
                "settled": "Оплачен", "expired": "Срок истёк", "invalid": "Платёж не прошёл",
                "cancelled": "Отменён"},
    "exception": {"paid_partial": "оплачен частично", "paid_over": "переплата",
                  "paid_late": "оплачен с опозданием", "marked": "отмечен оператором"},
    "refund": {"awaiting_address": "Ждём адрес покупателя",
               "pending_approval": "Ждёт подтверждения оператора",
               "sending": "Отправляется", "sent": "Отправлен, подтверждаем",
               "succeeded": "Возвращён", "failed": "Не удался", "cancelled": "Отменён"},
    "batch": {"open": "Открыт", "closed": "Закрыт, ждёт выплаты",
              "carried_forward": "Перенесён", "exported": "Передан в банк",
              "paid": "Выплачен", "failed": "Выплата не прошла"},
    "transfer": {"detected": "Получен, подтверждается", "finalized": "Окончательный",
                 "removed": "Отменён сетью"},
    "delivery": {"pending": "Ожидает", "delivered": "Доставлен", "failed": "Не доставлен",
                 "cancelled": "Отменён"},
    "statement": {"line": "Строка", "count": "Кол-во", "KZT": "₸",
                  "opening payable": "К выплате на начало",
                  "settled invoices (gross)": "Оплаченные счета (брутто)",
                  "fees": "Комиссии", "refunds": "Возвраты", "adjustments": "Корректировки",
                  "payouts": "Выплаты", "payouts returned": "Возвращённые выплаты",
                  "closing payable": "К выплате на конец"},
}
KK_STATES: Final[StateWords] = {
    "invoice": {"new": "Төлем күтілуде", "processing": "Төлем келді, расталуда",
                "settled": "Төленді", "expired": "Мерзімі өтті", "invalid": "Төлем өтпеді",
                "cancelled": "Бас тартылды"},
    "exception": {"paid_partial": "ішінара төленді", "paid_over": "артық төленді",
                  "paid_late": "кеш төленді", "marked": "оператор белгіледі"},
    "refund": {"awaiting_address": "Сатып алушының мекенжайы күтілуде",
               "pending_approval": "Оператордың растауы күтілуде",
               "sending": "Жіберілуде", "sent": "Жіберілді, расталуда",
               "succeeded": "Қайтарылды", "failed": "Сәтсіз", "cancelled": "Бас тартылды"},
    "batch": {"open": "Ашық", "closed": "Жабылды, төлем келесі",
              "carried_forward": "Келесі күнге ауыстырылды", "exported": "Банкке жіберілді",
              "paid": "Төленді", "failed": "Төлем өтпеді"},
    "transfer": {"detected": "Көрінді, расталуда", "finalized": "Түпкілікті",
                 "removed": "Желі алып тастады"},
    "delivery": {"pending": "Күтуде", "delivered": "Жеткізілді", "failed": "Жеткізілмеді",
                 "cancelled": "Бас тартылды"},
    "statement": {"line": "Жол", "count": "Саны", "KZT": "₸",
                  "opening payable": "Кезең басында төленетін сома",
                  "settled invoices (gross)": "Төленген шоттар (жалпы)",
                  "fees": "Комиссиялар", "refunds": "Қайтарымдар", "adjustments": "Түзетулер",
                  "payouts": "Төлемдер", "payouts returned": "Қайтарылған төлемдер",
                  "closing payable": "Кезең соңында төленетін сома"},
}
STATES: Final = {"en": EN_STATES, "ru": RU_STATES, "kk": KK_STATES}


class Words:
    """`t(key, **fields)` in one language; a missing key falls back to English."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in CATALOGS else "en"
        self._catalog = CATALOGS[self.lang]

    def __call__(self, key: str, **fields: object) -> str:
        text = self._catalog.get(key) or EN[key]
        return text.format(**fields) if fields else text

    def state(self, kind: str, value: object) -> str:
        """A stored value of `kind` ("invoice", "refund", "batch"...) in words: a status
        enum or its text; unknown values as they are."""
        text = str(getattr(value, "value", value))
        return STATES[self.lang][kind].get(text) or EN_STATES[kind].get(text) or text

    @property
    def decimal_separator(self) -> str:
        return "." if self.lang == "en" else ","
