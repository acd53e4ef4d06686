from pydantic import Field

from parley.settings import ServiceSettings


class ChatbotEngineSettings(ServiceSettings):
    http_port: int = Field(8083, ge=0, le=65535, description="Port of chatbot_engine's health/metrics server.")
