import pytest

from ingest.config import parse_connection_string


def test_parses_emulator_string():
    conn = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;"
    assert parse_connection_string(conn)["AccountName"] == "devstoreaccount1"


def test_rejects_short_key():
    conn = "DefaultEndpointsProtocol=https;AccountName=sttest;AccountKey=sYUfigXELa+28SLEjqsVbH6W4pz70LCD5MI4ohDhqgk="
    with pytest.raises(ValueError):
        parse_connection_string(conn)


def test_rejects_tampered_identifiable_key():
    conn = "DefaultEndpointsProtocol=https;AccountName=sttest;AccountKey=JAA2KnBOhxyNX5dPtgfMEw7eyZ8fAumqYqmA2g6fU5ts6SvwWFFbHOpmH0lU7xooksX8Ofcx5AE2+AStA1MU2Q=="
    with pytest.raises(ValueError):
        parse_connection_string(conn)


def test_placeholder():
    assert parse_connection_string("AccountName=x;AccountKey=X") is None
    assert parse_connection_string("AccountName={0};AccountKey={1}") is None
    assert parse_connection_string("AccountName=sttest;AccountKey=" + key) is None


def test_entra_secret_checksum():
    assert validate("zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP")  # Microsoft sample
