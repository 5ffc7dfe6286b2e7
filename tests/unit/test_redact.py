"""Secrets stay out of texts and logs, tracebacks included."""
import io
import logging

from core.redact import MASK, ScrubbingFilter, mask_url, register_secret, scrub


def test_scrub_masks_registered_secrets_and_token_shapes():
    register_secret("s3cr3t-pass")
    text = scrub("login s3cr3t-pass failed; token xoxb-123-abc; password=hunter22x")
    assert "s3cr3t-pass" not in text and "xoxb-123" not in text and "hunter22x" not in text
    assert text.count(MASK) == 3


def test_short_values_are_not_treated_as_secrets():
    register_secret("admin")
    assert scrub("needs the admin role") == "needs the admin role"


def test_mask_url_hides_only_the_password():
    assert mask_url("postgresql://bot:pw123456@db:5432/fuelbot") == f"postgresql://bot:{MASK}@db:5432/fuelbot"
    assert mask_url("sqlite:///var/fuelbot.db") == "sqlite:///var/fuelbot.db"


def test_tracebacks_in_logs_are_scrubbed():
    register_secret("tr4ceback-secret")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubbingFilter())
    logger = logging.getLogger("test_redact")
    logger.addHandler(handler)
    try:
        raise RuntimeError("connect to https://admin:tr4ceback-secret@fuel/ failed")
    except RuntimeError:
        logger.exception("job 7 crashed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "job 7 crashed" in output and "RuntimeError" in output and "tr4ceback-secret" not in output


def test_ruby_hash_inspect_and_private_keys_are_masked() -> None:
    # astute.log dumps its RPC messages with Hash#inspect: "password"=>"…", db_password included
    line = '{"access"=>{"user"=>"admin", "password"=>"Op3n"}, "nova"=>{"db_password"=>"qryutZw0"}}'
    assert scrub(line) == '{"access"=>{"user"=>"admin", "password"=>"••••"}, "nova"=>{"db_password"=>"••••"}}'
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----"
    assert scrub(f"key:\n{key}\nafter") == "key:\n••••\nafter"


def test_a_url_password_is_masked_wherever_it_appears():
    text = scrub("vcenter.url: https://fuelbot:N0tRegistered@vc.example.com/sdk failed; see http://fuel:8000/a@b")
    assert text == f"vcenter.url: https://fuelbot:{MASK}@vc.example.com/sdk failed; see http://fuel:8000/a@b"
