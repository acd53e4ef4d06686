/* The widget's words in the visitor's language, through the shared mechanism (../i18n.js). The
 * locale comes from the embed tag (data-locale="zh-CN") or else the browser's languages.
 * test/i18n.test.js fails when a t("…") of the widget has no Chinese translation. */
import { pickLocale, translator } from "../i18n.js";

/** @type {Record<string, Record<string, string>>} */
export const TRANSLATIONS = {
  "zh-CN": {
    "Your message contains a word that is not allowed, so it was not sent.": "您的消息包含不允许的词语，未能发送。",
    "The chat is down for maintenance. It will reconnect by itself when it is over.":
      "聊天正在维护中，维护结束后会自动重新连接。",
    "You are sending messages too quickly. Please wait a moment and try again.": "您发送消息太快了，请稍等片刻再试。",
    "That message is too long. Please shorten it.": "消息太长，请缩短后再发送。",
    "This conversation has ended.": "此对话已结束。",
    "This conversation is no longer available.": "此对话已不可用。",
    "This chat is not set up correctly (unknown channel).": "此聊天未正确配置（未知渠道）。",
    "Something went wrong on our side. Please try again.": "我们这边出了点问题，请重试。",
    "The chat service is busy or unreachable. Please try again in a moment.": "聊天服务繁忙或无法访问，请稍后再试。",
    "You opened the chat in another window or tab, so it is paused here.":
      "您在另一个窗口或标签页中打开了聊天，此处已暂停。",
    "The chat was disconnected. Reload the page to start again.": "聊天已断开，请刷新页面重新开始。",
    "You are offline. The chat will reconnect when the connection is back.": "您已离线。网络恢复后聊天会自动重新连接。",
    "Chat with us": "在线咨询",
    "Assistant online": "智能助手在线",
    "Leave a message": "留言",
    Chat: "聊天",
    Conversation: "对话",
    "Write a message…": "输入消息…",
    Message: "消息",
    Send: "发送",
    "End chat": "结束对话",
    "Notify me of replies": "有回复时通知我",
    "We will notify you of replies on this device.": "有回复时，我们会在此设备上通知您。",
    "Notifications are blocked for this site in your browser.": "您的浏览器已阻止此网站的通知。",
    "Notifications could not be turned on. Try again later.": "无法开启通知，请稍后再试。",
    "Close the chat window": "关闭聊天窗口",
    "Nobody is available right now. Leave a message and we will get back to you.":
      "目前没有客服在线。请留言，我们会尽快回复您。",
    "Rate this conversation": "为本次对话评分",
    "{n} out of 5": "{n} 星（满分 5 星）",
    "Anything to add? (optional)": "还有什么想补充的吗？（可选）",
    Comment: "评论",
    "Send rating": "提交评分",
    "Thank you for your feedback!": "感谢您的反馈！",
    "Download the transcript": "下载聊天记录",
    "The chat has ended. How did we do?": "对话已结束。您对我们的服务满意吗？",
    "Start a new conversation": "开始新的对话",
    "The transcript is not available.": "聊天记录暂不可用。",
    Seen: "已读",
    Sent: "已发送",
    Bot: "机器人",
    Support: "客服",
    "{name} · bot": "{name} · 机器人",
    "Connection lost. Reconnecting…": "连接已断开，正在重新连接…",
    "Connecting…": "正在连接…",
    "Disconnected.": "已断开连接。",
    "You are number {position} in the queue.": "您在队列中排第 {position} 位。",
    "You are number {position} in the queue, about {minutes} min.":
      "您在队列中排第 {position} 位，预计等待约 {minutes} 分钟。",
    "{name} is typing…": "{name} 正在输入…",
    "Continue here": "在此继续",
    "{label} ({count} unread)": "{label}（{count} 条未读）",
    "This chat is not set up for this website.": "此聊天未为本网站配置。",
    "That file is too large for this chat.": "文件太大，无法在此聊天中发送。",
    "This chat does not accept that kind of file.": "此聊天不接受这种类型的文件。",
    "That file could not be accepted (it is damaged or was refused by the virus scanner).":
      "无法接受该文件（文件已损坏或被病毒扫描拒绝）。",
    "You have sent as many files as you can today.": "您今天发送的文件已达上限。",
    "The file is still being checked. Please try again in a moment.": "文件仍在检查中，请稍后再试。",
    "Attach a file": "添加附件",
    Retry: "重试",
    Uploading: "正在上传",
    "This file is not available.": "此文件不可用。",
    "Message removed": "消息已删除",
    "Send message": "发送留言",
    "Your name": "您的姓名",
    "Your e-mail": "您的电子邮箱",
    "Your message": "您的留言",
    "Please enter a valid e-mail address, like name@example.com.": "请输入有效的电子邮箱地址，例如 name@example.com。",
    "Thank you, {name}. We will answer you at {email}.": "谢谢您，{name}。我们会通过 {email} 回复您。",
  },
};

const words = translator(TRANSLATIONS);

export { pickLocale };
export const setLocale = words.setLocale;
export const locale = words.locale;
export const t = words.t;
