"""The FIX message layer: framing, encoding, FixMessage, codec, dictionaries and validation."""
