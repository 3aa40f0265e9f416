"""Outgoing channels: e-mail (more to come: WeCom, DingTalk, Feishu, webhook)."""
