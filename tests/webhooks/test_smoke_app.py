from tests.webhooks.support import settings_for, serve_app, make_merchant
import aiohttp

async def test_app_starts(database_url, conn):
    m = await make_merchant(conn)
    async with serve_app(settings_for(database_url)) as base:
        async with aiohttp.ClientSession() as s:
            async with s.get(base + "/v1/events", headers=m.headers) as r:
                print(r.status, await r.text())
                assert r.status == 200
