#!/usr/bin/env python3
"""Writes the parts of tests/fixtures/token-connect/ that cannot be typed by hand.

The sample exchange there is ours: written from docs/wire-contract.md with our own values (our
sandbox's token requestor ids, a demo test card, example.* hosts). This script adds:

- push-request-encrypted.json: push-request.json with its accounts encrypted by Mastercard's
  official PyPI `mastercard-client-encryption` (the settings of fle.py: hex, RSA-OAEP SHA-512,
  certificate fingerprint) under the TEST-ONLY certificate in tests/fixtures/mdes/. A fresh AES
  key and IV each run, so re-running changes its bytes; the Rust test decrypts it, so any run's
  output passes.
- the `signature` of push-response.json: an RS256 JWS (kid `test-only-signing`) made with
  `cryptography` and the TEST-ONLY signing key, over the issued receipts plus the request's
  signatureData fields in the order MDES's sandbox signs them (docs/wire-contract.md §5).
  Deterministic (RSA PKCS#1 v1.5).
- asset.json: a getAsset answer with our own logo, as SVG and as a 192x192 white PNG.

    python3 -m pip install -r scripts/golden/requirements.txt
    python3 scripts/golden/samples.py
"""
import base64
import json
import os
import struct
import sys
import zlib

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fle import DATA, NODE, base_config  # noqa: E402

from client_encryption.field_level_encryption import encrypt_payload  # noqa: E402
from client_encryption.field_level_encryption_config import FieldLevelEncryptionConfig  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLES = os.path.join(ROOT, "tests", "fixtures", "token-connect")
KEYS = os.path.join(ROOT, "tests", "fixtures", "mdes")
KID = "test-only-signing"
SIGNED_FIELDS = ["callbackURL", "completeWebsiteActivation", "accountHolderDataSupplied", "locale"]


def load(name):
    with open(os.path.join(SAMPLES, name), encoding="utf-8") as f:
        return json.load(f)


def save(name, value):
    with open(os.path.join(SAMPLES, name), "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
        f.write("\n")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def encrypted_request(plain):
    conf = base_config("SHA-512")
    conf["paths"] = {"$": {"toEncrypt": {DATA: NODE}, "toDecrypt": {}}}
    conf["encryptionCertificate"] = os.path.join(KEYS, "test-only-encryption-cert.pem")
    conf["encryptionCertificateFingerprintFieldName"] = "publicKeyFingerprint"
    return encrypt_payload(plain, FieldLevelEncryptionConfig(conf))


def signature(request, response):
    payload = {"pushAccountReceipts": [r["pushAccountReceipt"] for r in response["pushAccountReceipts"] if "pushAccountReceipt" in r]}
    for field in SIGNED_FIELDS:
        if field in request.get("signatureData", {}):
            payload[field] = request["signatureData"][field]
    signing_input = b64url(compact({"alg": "RS256", "kid": KID})) + "." + b64url(compact(payload))
    with open(os.path.join(KEYS, "test-only-signing-key.pem"), "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    sig = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(sig)


def png_white(size):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xff\xff\xff" * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 192 192">'
    '<rect width="192" height="192" fill="#ffffff"/>'
    '<circle cx="96" cy="96" r="60" fill="#1d4ed8"/>'
    '<path d="M66 96h60M96 66v60" stroke="#ffffff" stroke-width="14"/></svg>'
)


def main():
    request = load("push-request.json")
    save("push-request-encrypted.json", encrypted_request(json.loads(json.dumps(request))))
    response = load("push-response.json")
    response["signature"] = signature(request, response)
    save("push-response.json", response)
    save("asset.json", {"mediaContents": [
        {"type": "image/svg+xml", "data": base64.b64encode(SVG.encode("utf-8")).decode("ascii")},
        {"type": "image/png", "data": base64.b64encode(png_white(192)).decode("ascii"), "height": "192", "width": "192"},
    ]})


if __name__ == "__main__":
    main()
