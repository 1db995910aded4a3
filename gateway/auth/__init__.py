"""People's sign-in, shared by the console (admin_users) and the merchant portal
(merchant_users): argon2id password hashing (passwords.py), random session/CSRF tokens
(tokens.py), server-side sessions (sessions.py), the lockout flow (lockout.py) and TOTP
(totp.py). No SQL, no HTTP: each user store keeps its own tables and queries and hands them
in; the HTTP side (headers, cookies, CSRF checks) is gateway.http.browser and .csrf.
"""
