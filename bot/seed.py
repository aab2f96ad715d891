"""First start: the demo commune and the first staff login."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Channel, FaqEntry, StaffUser, Unit

DEMO_PROVINCE = "TINH-DEMO"
DEMO_COMMUNE = "XA-DEMO"
DEMO_WEBCHAT = "demo"


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), n=2**14, r=8, p=1)
    return hmac.compare_digest(digest.hex(), digest_hex)


async def seed_demo(session: AsyncSession) -> bool:
    """Create the demo province, commune, web chat and starter FAQ in an empty database."""
    if (await session.exec(select(Unit).limit(1))).first() is not None:
        return False
    from handlers.faq.kb_io import load_starter_kb

    province = Unit(code=DEMO_PROVINCE, name="Tỉnh Demo", kind="province")
    session.add(province)
    await session.flush()
    commune = Unit(code=DEMO_COMMUNE, name="UBND xã Demo", kind="commune", parent_id=province.id)
    session.add(commune)
    await session.flush()
    session.add(Channel(unit_id=commune.id, platform="webchat", external_id=DEMO_WEBCHAT,
                        name="Trò chuyện với UBND xã Demo", config={}))
    for entry in load_starter_kb():
        session.add(FaqEntry(unit_id=commune.id, ext_id=entry.id, question=entry.question,
                             variants=entry.variants, answer=entry.answer, category=entry.category,
                             attachment=entry.attachment))
    return True


async def ensure_admin(session: AsyncSession, password: str | None) -> str | None:
    """Create the first administrator; returns the generated password to print once (None if not generated)."""
    if (await session.exec(select(StaffUser).limit(1))).first() is not None:
        return None
    generated = None
    if not password:
        password = generated = secrets.token_urlsafe(12)
    session.add(StaffUser(username="admin", full_name="Quản trị viên", password_hash=hash_password(password),
                          role="admin"))
    return generated
