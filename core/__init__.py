"""Cross-cutting pieces every layer may use: settings, the error hierarchy, secret redaction."""
