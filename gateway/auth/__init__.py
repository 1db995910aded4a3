"""Pieces of people's sign-in that the console and the merchant portal share: argon2id
password hashing (passwords.py) and random session/CSRF tokens (tokens.py). No SQL, no HTTP:
each user store (admin_users, merchant_users) keeps its own tables and rules.
"""
