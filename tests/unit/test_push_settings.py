"""Web push configuration: the VAPID key forms accepted, and bad combinations refused at start."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from py_vapid import Vapid
from pydantic import ValidationError

from parley_notification.settings import NotificationSettings
from parley_notification.vapid import load_vapid_key, public_key_b64


@pytest.fixture(scope="module")
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def pem(private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, form: serialization.PrivateFormat) -> str:
    return private_key.private_bytes(serialization.Encoding.PEM, form, serialization.NoEncryption()).decode()


def test_pem_and_raw_forms_give_the_same_key(key: ec.EllipticCurvePrivateKey) -> None:
    raw = base64.urlsafe_b64encode(key.private_numbers().private_value.to_bytes(32, "big")).rstrip(b"=").decode()
    pkcs8 = pem(key, serialization.PrivateFormat.PKCS8)
    forms = [pkcs8, pem(key, serialization.PrivateFormat.TraditionalOpenSSL), pkcs8.replace("\n", "\\n"), raw]
    expected = public_key_b64(Vapid(key))
    assert [public_key_b64(load_vapid_key(form)) for form in forms] == [expected] * len(forms)
    assert len(base64.urlsafe_b64decode(expected + "=")) == 65  # an uncompressed P-256 point


@pytest.mark.parametrize(
    "bad",
    [
        "dev-only-not-a-real-vapid-key",
        pem(ec.generate_private_key(ec.SECP384R1()), serialization.PrivateFormat.PKCS8),
        pem(rsa.generate_private_key(public_exponent=65537, key_size=2048), serialization.PrivateFormat.PKCS8),
    ],
)
def test_a_key_that_cannot_sign_vapid_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match=r"not a private key|P-256"):
        load_vapid_key(bad)


def test_push_needs_a_key_and_a_subject(key: ec.EllipticCurvePrivateKey) -> None:
    assert not NotificationSettings().push_enabled
    key_pem = pem(key, serialization.PrivateFormat.PKCS8)
    with pytest.raises(ValidationError, match="vapid_subject"):
        NotificationSettings(notification_vapid_private_key=key_pem)
    with pytest.raises(ValidationError, match="notification_vapid_private_key"):
        NotificationSettings(
            notification_vapid_private_key="not a key", notification_vapid_subject="mailto:a@b.example"
        )
    settings = NotificationSettings(
        notification_vapid_private_key=key_pem, notification_vapid_subject="mailto:ops@b.example"
    )
    assert settings.push_enabled
