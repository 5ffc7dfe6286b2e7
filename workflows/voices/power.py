"""The voice of powering a lab's node VMs off (a lease that ran out, with ``lease.on_expiry: power_off``)."""
from __future__ import annotations

from dataclasses import dataclass

from workflows.voices.oneshot import OneShotVoice


@dataclass(frozen=True)
class PoweredOff:
    lab: str
    off: tuple[str, ...]
    already: tuple[str, ...]
    why: str | None = None


class PowerOffVoice(OneShotVoice[PoweredOff]):
    def headline(self, done: PoweredOff) -> str:
        off = ", ".join(f"`{n}`" for n in done.off) or "none"
        already = f" (already off: {', '.join(f'`{n}`' for n in done.already)})" if done.already else ""
        why = f" — {done.why}" if done.why else ""
        return (f"🔌 *{done.lab}* node VMs powered off: {off}{already}{why}. The Fuel master is left running "
                "(other labs may use it); `/fuel deploy` powers the nodes on again")
