from pydantic import Field

from parley.settings import ServiceSettings


class NotificationSettings(ServiceSettings):
    http_port: int = Field(8085, ge=0, le=65535, description="Port of notification's health/metrics server.")
