async def test_smoke(api_client, make_api_key):
    key = await make_api_key()
    api = api_client(key)
    r = await api.post("/v1/invoices", {"amount": 150000, "order_id": "A1"}, idempotency_key="k1")
    print(r.status, r.body)
    assert r.status == 200
    r2 = await api.get(f"/v1/invoices/{r.body['id']}")
    assert r2.body == r.body
    r3 = await api.get("/v1/invoices")
    print(r3.body["has_more"], len(r3.body["data"]))
