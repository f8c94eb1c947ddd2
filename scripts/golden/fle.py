#!/usr/bin/env python3
"""Mastercard field-level encryption with the official PyPI `mastercard-client-encryption`,
configured as docs/wire-contract.md §3 describes. The Rust tests in
src/mdes/encryption.rs pipe requests through this script to prove both directions:

    fle.py encrypt --cert CERT [--digest SHA-512|SHA-256] [--fingerprint certificate|public_key]
        stdin: a pushMultipleAccounts request with plaintext
               pushFundingAccounts.encryptedPayload.encryptedData; stdout: the encrypted request
    fle.py decrypt --key KEY [--digest SHA-512|SHA-256]
        stdin: an encrypted request; stdout: the request with encryptedData decrypted

Install: python3 -m pip install -r scripts/golden/requirements.txt
"""
import argparse
import json
import sys

from client_encryption.field_level_encryption import decrypt_payload, encrypt_payload
from client_encryption.field_level_encryption_config import FieldLevelEncryptionConfig

DATA = "pushFundingAccounts.encryptedPayload.encryptedData"
NODE = "pushFundingAccounts.encryptedPayload"


def base_config(digest):
    return {
        "ivFieldName": "iv",
        "encryptedKeyFieldName": "encryptedKey",
        "encryptedValueFieldName": "encryptedData",
        "dataEncoding": "hex",
        "oaepPaddingDigestAlgorithm": digest,
        "oaepPaddingDigestAlgorithmFieldName": "oaepHashingAlgorithm",
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["encrypt", "decrypt"])
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--digest", default="SHA-512")
    parser.add_argument("--fingerprint", choices=["certificate", "public_key"], default="certificate")
    args = parser.parse_args()

    conf = base_config(args.digest)
    payload = json.load(sys.stdin)
    if args.mode == "encrypt":
        conf["paths"] = {"$": {"toEncrypt": {DATA: NODE}, "toDecrypt": {}}}
        conf["encryptionCertificate"] = args.cert
        if args.fingerprint == "certificate":
            conf["encryptionCertificateFingerprintFieldName"] = "publicKeyFingerprint"
        else:
            conf["encryptionKeyFingerprintFieldName"] = "publicKeyFingerprint"
        out = encrypt_payload(payload, FieldLevelEncryptionConfig(conf))
    else:
        conf["paths"] = {"$": {"toEncrypt": {}, "toDecrypt": {NODE: DATA}}}
        conf["decryptionKey"] = args.key
        conf["encryptionCertificateFingerprintFieldName"] = "publicKeyFingerprint"
        out = decrypt_payload(payload, FieldLevelEncryptionConfig(conf))
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
