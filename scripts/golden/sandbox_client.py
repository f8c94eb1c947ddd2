#!/usr/bin/env python3
"""A Token Connect call to the pushprov sandbox built only with Mastercard's official libraries:
the payload encrypted with PyPI `mastercard-client-encryption` (configured like
docs/wire-contract.md §3), the request signed with `mastercard-oauth1-signer`.
The Rust tests (tests/api/sandbox.rs) use it as the independent client the sandbox must accept.

    sandbox_client.py --url URL --consumer-key CK --signing-key ISSUER_KEY.pem
                      [--method POST|GET] [--cert SANDBOX_ENC_CERT.pem]
                      [--fingerprint certificate|public_key] [--digest SHA-512|SHA-256] [--send]
        stdin: the request JSON (for pushMultipleAccounts, with plaintext
               pushFundingAccounts.encryptedPayload.encryptedData; empty for GET)
        stdout: {"authorization": "...", "body": "..."} — or, with --send, the sandbox's answer
               {"status": 200, "body": {...}}

With --cert the payload is encrypted; without it the body is sent as given (eligibility, assets).
Install: python3 -m pip install -r scripts/golden/requirements.txt
"""
import argparse
import json
import sys
import urllib.error
import urllib.request

from cryptography.hazmat.primitives import serialization
from oauth1.oauth import OAuth

from client_encryption.field_level_encryption import encrypt_payload
from client_encryption.field_level_encryption_config import FieldLevelEncryptionConfig

DATA = "pushFundingAccounts.encryptedPayload.encryptedData"
NODE = "pushFundingAccounts.encryptedPayload"


def encrypt(request, cert, digest, fingerprint):
    conf = {
        "paths": {"$": {"toEncrypt": {DATA: NODE}, "toDecrypt": {}}},
        "ivFieldName": "iv",
        "encryptedKeyFieldName": "encryptedKey",
        "encryptedValueFieldName": "encryptedData",
        "dataEncoding": "hex",
        "encryptionCertificate": cert,
        "oaepPaddingDigestAlgorithm": digest,
        "oaepPaddingDigestAlgorithmFieldName": "oaepHashingAlgorithm",
    }
    if fingerprint == "certificate":
        conf["encryptionCertificateFingerprintFieldName"] = "publicKeyFingerprint"
    else:
        conf["encryptionKeyFingerprintFieldName"] = "publicKeyFingerprint"
    return encrypt_payload(request, FieldLevelEncryptionConfig(conf))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--method", default="POST")
    parser.add_argument("--consumer-key", required=True)
    parser.add_argument("--signing-key", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--digest", default="SHA-512")
    parser.add_argument("--fingerprint", choices=["certificate", "public_key"], default="certificate")
    parser.add_argument("--send", action="store_true")
    args = parser.parse_args()

    text = sys.stdin.read()
    if args.method.upper() == "GET":
        body = ""
    else:
        request = json.loads(text)
        if args.cert:
            request = encrypt(request, args.cert, args.digest, args.fingerprint)
        # Encrypt first, then sign the exact bytes sent (wire contract §3).
        body = json.dumps(request, separators=(",", ":"))

    with open(args.signing_key, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    authorization = OAuth.get_authorization_header(args.url, args.method.upper(), body, args.consumer_key, key)

    if not args.send:
        json.dump({"authorization": authorization, "body": body}, sys.stdout)
        return
    req = urllib.request.Request(args.url, data=body.encode("utf-8") if body else None, method=args.method.upper())
    req.add_header("Authorization", authorization)
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, answer = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, answer = e.code, e.read()
    try:
        parsed = json.loads(answer)
    except ValueError:
        parsed = answer.decode("utf-8", "replace")
    json.dump({"status": status, "body": parsed}, sys.stdout)


if __name__ == "__main__":
    main()
