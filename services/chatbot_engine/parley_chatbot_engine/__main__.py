from parley.settings import load_settings
from parley_chatbot_engine.app import build_service
from parley_chatbot_engine.settings import ChatbotEngineSettings


def main() -> None:
    build_service(load_settings(ChatbotEngineSettings)).run()


if __name__ == "__main__":
    main()
