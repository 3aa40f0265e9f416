"""Outgoing channels: e-mail over pooled SMTP connections, the group robots of WeCom,
DingTalk and Feishu, and signed webhooks."""
