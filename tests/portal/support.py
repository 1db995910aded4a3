"""Helpers of the portal tests: make a merchant's users through the real invite path, and a
cookie-keeping HTTP client that signs in through the real forms."""

from __future__ import annotations

import re
from dataclasses import dataclass

import aiohttp
import asyncpg

from gateway.merchants.ids import random_token
from gateway.portal import service
from gateway.portal.roles import Role
from gateway.portal.settings import POLICY

PASSWORD = "correct horse battery"
ADMIN = service.Actor(None, "zone-admin:test")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def email(role: Role) -> str:
    return f"{role.value}-{random_token(8).lower()}@shop.example"


async def make_user(pool: asyncpg.Pool, merchant_id: str, role: Role,
                    password: str = PASSWORD) -> str:
    """A user of `merchant_id` made by an invite and its acceptance; returns the email."""
    address = email(role)
    async with pool.acquire() as conn:
        made = await service.invite(conn, POLICY, merchant_id, address, role, ADMIN,
                                    invited_by=None)
        await service.accept_invite(conn, made.url_token, password, "127.0.0.1")
    return address


@dataclass
class Browserless:
    """One user's cookie jar against the app; `csrf` is the last form token seen."""

    http: aiohttp.ClientSession
    base: str
    csrf: str = ""

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.base + path, allow_redirects=False) as resp:
            text = await resp.text()
            found = CSRF.search(text)
            if found:
                self.csrf = found.group(1)
            return resp.status, text

    async def post(self, path: str, data: dict[str, str], *,
                   csrf: bool = True) -> tuple[int, str, str]:
        body = {**data, **({"csrf_token": self.csrf} if csrf else {})}
        async with self.http.post(self.base + path, data=body, allow_redirects=False) as resp:
            return resp.status, resp.headers.get("Location", ""), await resp.text()

    async def sign_in(self, address: str, password: str = PASSWORD) -> tuple[int, str, str]:
        await self.get("/merchant/login")
        return await self.post("/merchant/login", {"email": address, "password": password})


def client(base: str) -> Browserless:
    jar = aiohttp.CookieJar(unsafe=True)  # 127.0.0.1 is an IP: keep its cookies anyway
    return Browserless(aiohttp.ClientSession(cookie_jar=jar), base)
