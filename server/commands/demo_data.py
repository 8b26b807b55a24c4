"""Realistic-looking demo values: organizations, people, devices, client addresses.

Pure and seeded, so two runs of `seed-demo` on empty databases produce the same tenants
and the same demo accounts. Domains use the reserved `.example` TLD and addresses the
documentation ranges (RFC 2606, RFC 5737): nothing here points at a real party.
"""

from __future__ import annotations

import random
import re

ORG_FIRST = [
    "Northwind", "Blue Harbor", "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Cyberdyne", "Tyrell",
    "Hooli", "Pied Piper", "Vandelay", "Soylent", "Aperture", "Black Mesa", "Monarch", "Oscorp", "Wonka", "Gringotts",
    "Dunder", "Sterling", "Massive", "Prestige", "Nakatomi", "Weyland", "Virtucon", "Bluth", "Kramerica", "Ollivander",
]
ORG_SECOND = ["Traders", "Robotics", "Labs", "Analytics", "Systems", "Foods", "Logistics", "Health", "Energy",
              "Studios", "Software", "Dynamics", "Biotech", "Capital", "Networks"]
FIRST_NAMES = [
    "Alice", "Bob", "Carmen", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Keiko", "Liam", "Maya",
    "Noah", "Olga", "Priya", "Quentin", "Rosa", "Samir", "Tara", "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe",
    "Ada", "Bruno", "Chloe", "Diego", "Emma", "Felix", "Hana", "Ivan", "Julia", "Kofi", "Lena", "Mateo", "Nora", "Omar",
]
LAST_NAMES = [
    "Anderson", "Brown", "Chen", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Kowalski",
    "Lopez", "Müller", "Nakamura", "O'Brien", "Patel", "Quinn", "Rossi", "Silva", "Tanaka", "Usman", "Virtanen",
    "Walker", "Xu", "Yilmaz", "Zhang", "Novak", "Okafor", "Petrov", "Santos",
]
DOC_NETWORKS = ["192.0.2", "198.51.100", "203.0.113"]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def org_names(rng: random.Random, count: int) -> list[str]:
    combos = [f"{a} {b}" for a in ORG_FIRST for b in ORG_SECOND]
    rng.shuffle(combos)
    names = combos[:count]
    while len(names) < count:  # more tenants than combinations: number the rest
        names.append(f"{combos[len(names) % len(combos)]} {len(names) // len(combos) + 1}")
    return names


def person(rng: random.Random) -> tuple[str, str]:
    """-> (full name, e-mail local part)."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return f"{first} {last}", f"{slug(first)}.{slug(last)}".replace("-", "")


def devices_of(rng: random.Random, first_name: str) -> list[str]:
    """The one to three machines a person signs in from."""
    first = first_name.lower()
    catalogue = [
        f"MacBook Pro ({first})", f"MacBook Air ({first})", f"iMac ({first})",
        f"ubuntu-ws-{rng.randint(1, 40):02d}", f"fedora-{first}", f"ThinkPad X1 Carbon ({first})",
        f"Dell XPS 15 ({first})", f"win-dev-{rng.randint(1, 60):02d}", f"coditect-ws-{rng.randint(1, 9)} (docker)",
        f"build-agent-{rng.randint(1, 12):02d}",
    ]
    return rng.sample(catalogue, rng.randint(1, 3))


def client_addr(rng: random.Random) -> str:
    return f"{rng.choice(DOC_NETWORKS)}.{rng.randint(1, 254)}"


def tenant_weights(count: int) -> list[float]:
    """Organizations differ in size (Zipf-like): the first, the demo tenant, is the largest,
    so the admin console and the search benchmark see a big tenant."""
    return [1 / (i + 1) ** 0.9 for i in range(count)]


def totp_secret(rng: random.Random) -> str:
    """A base32 TOTP secret (160 bits) for a demo user nobody signs in as."""
    return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(32))
