"""The webhook endpoint: only signed, well-formed updates are taken, and only once stored."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp

from bot.webhook import PATH, SECRET_HEADER, WebhookServer


async def test_the_endpoint_refuses_what_is_not_a_signed_update() -> None:
    stored: list[dict[str, Any]] = []
    failing = False

    async def accept(updates: Sequence[dict[str, Any]]) -> None:
        if failing:
            raise ConnectionError("database away")
        stored.extend(updates)

    server = WebhookServer(accept, "s3cret")
    await server.start("127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.port}{PATH}"
    signed = {SECRET_HEADER: "s3cret"}
    try:
        async with aiohttp.ClientSession() as http:

            async def post(body: str, headers: dict[str, str]) -> int:
                async with http.post(url, data=body, headers=headers) as answer:
                    return answer.status

            assert await post('{"update_id": 1}', {}) == 401
            assert await post('{"update_id": 1}', {SECRET_HEADER: "guess"}) == 401
            assert await post("not json", signed) == 400
            assert await post('{"message": {}}', signed) == 400
            assert await post('[{"update_id": 1}]', signed) == 400
            assert stored == []
            failing = True
            assert await post('{"update_id": 7}', signed) == 500, "Telegram must send it again"
            failing = False
            assert await post('{"update_id": 7}', signed) == 200
    finally:
        await server.stop()
    assert stored == [{"update_id": 7}]
