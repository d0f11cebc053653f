"""Benchmark kit: a generated corpus of realistic FIX traffic and runners that time our code beside its peers."""
