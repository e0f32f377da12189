"""Slack posts outside requests are paced: one per second per channel, a few in flight per
workspace; other channels and workspaces don't wait (time is a fake monotonic clock)."""

from __future__ import annotations

import asyncio

from adapters.slack.pacing import Pacer


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_posts_to_one_channel_are_a_second_apart_and_other_channels_do_not_wait():
    clock = FakeTime()
    pacer = Pacer(monotonic=clock.monotonic, sleep=clock.sleep)

    async def post(team: str, channel: str) -> float:
        async with pacer.slot(team, channel):
            return clock.now

    async def scenario() -> list[float]:
        return [await post("T1", "C1"), await post("T1", "C1"), await post("T1", "C2"), await post("T2", "C1")]

    times = asyncio.run(scenario())

    assert times[1] - times[0] == 1.0
    assert clock.slept == [1.0]  # only the second post to T1/C1 waited


def test_at_most_a_few_posts_are_in_flight_per_workspace():
    pacer = Pacer(per_workspace=2)
    in_flight = {"T1": 0, "T2": 0}
    most = {"T1": 0, "T2": 0}

    async def post(team: str, channel: str) -> None:
        async with pacer.slot(team, channel):
            in_flight[team] += 1
            most[team] = max(most[team], in_flight[team])
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            in_flight[team] -= 1

    async def scenario() -> None:
        await asyncio.gather(*(post(team, f"C{i}") for i in range(6) for team in ("T1", "T2")))

    asyncio.run(scenario())
    assert most == {"T1": 2, "T2": 2}
