from parley.settings import load_settings
from parley_chat_session.app import build_service
from parley_chat_session.settings import ChatSessionSettings


def main() -> None:
    build_service(load_settings(ChatSessionSettings)).run()


if __name__ == "__main__":
    main()
