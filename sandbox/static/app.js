// The sandbox chat page: act as any persona, in any of their chats, against the local Bot API.
"use strict";

const API = "/sandbox/api";
const PRESENT = new Set(["creator", "administrator", "member", "restricted"]);
const ROLE_LABELS = { leader: "楼长 Leader", volunteer: "志愿者 Volunteer", resident: "居民 Resident" };
const STATUS_LABELS = { creator: "群主 owner", administrator: "管理员 admin", restricted: "受限 restricted" };

const state = {
  world: null,
  personaId: null,
  chatId: null,
  seq: 0,
  messages: [],
  replyTo: null,
  unread: new Map(), // chat id -> count of messages the persona has not looked at
  forceReplySeen: new Set(),
};

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of [].concat(children)) {
    if (child !== null && child !== undefined) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return node;
}

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const response = await fetch(API + path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

function toast(text, kind = "") {
  const node = el("div", { class: `toast ${kind}` }, text);
  if (kind === "alert") {
    node.append(el("button", { type: "button", onclick: () => node.remove() }, "OK 好的"));
  } else {
    setTimeout(() => node.remove(), 3500);
  }
  $("toasts").append(node);
}

// -- people and chats ---------------------------------------------------------------------------

function persona() {
  return state.world.users.find((u) => u.id === state.personaId);
}

function fullName(user) {
  return user.last_name ? `${user.first_name} ${user.last_name}` : user.first_name;
}

function userName(id) {
  if (state.world && id === state.world.bot.id) return state.world.bot.first_name;
  const user = state.world && state.world.users.find((u) => u.id === id);
  return user ? fullName(user) : String(id);
}

function personaGroup(user) {
  if (user.role === "leader") return "楼长 Leaders";
  if (user.role === "volunteer") return "志愿者 Volunteers";
  if (user.building) return `居民 Residents · ${user.building}号楼 Building ${user.building}`;
  return "其他 Others";
}

function renderPersonas() {
  const select = $("persona-select");
  const groups = new Map();
  for (const user of state.world.users) {
    const label = personaGroup(user);
    if (!groups.has(label)) groups.set(label, []);
    groups.get(label).push(user);
  }
  select.replaceChildren();
  for (const [label, users] of groups) {
    const optgroup = el("optgroup", { label });
    for (const user of users) {
      // The room as its building's residents type it after /register ("701"), after the building.
      const building = user.building ? `${user.building}号楼` : null;
      const home = user.room ? [building, user.room].filter(Boolean).join(" ") : null;
      const details = [ROLE_LABELS[user.role] || user.role, home].filter(Boolean).join(" · ");
      const option = el("option", { value: String(user.id) }, `${fullName(user)} — ${details}`);
      if (user.note) option.title = user.note;
      optgroup.append(option);
    }
    select.append(optgroup);
  }
  if (state.personaId !== null) select.value = String(state.personaId);
}

function chatsOf(personaId) {
  const chats = [{ id: personaId, title: `${state.world.bot.first_name}`, sub: "私聊 private chat", kind: "bot" }];
  for (const group of state.world.groups) {
    const status = group.members[String(personaId)];
    if (PRESENT.has(status)) {
      chats.push({ id: group.id, title: group.title, sub: STATUS_LABELS[status] || "成员 member", kind: "group" });
    }
  }
  return chats;
}

function renderChats() {
  const list = $("chat-list");
  list.replaceChildren();
  for (const chat of chatsOf(state.personaId)) {
    const unread = state.unread.get(chat.id) || 0;
    const item = el("li", {
      dataset: { chatId: String(chat.id) },
      class: chat.id === state.chatId ? "active" : "",
      role: "button",
      tabindex: "0",
      onclick: () => openChat(chat.id),
      onkeydown: (event) => { if (event.key === "Enter") openChat(chat.id); },
    }, [
      el("span", { class: `avatar ${chat.kind}` }, chat.kind === "bot" ? "🤖" : chat.title.slice(0, 1)),
      el("span", { class: "chat-name" }, [chat.title, el("small", {}, chat.sub)]),
      unread ? el("span", { class: "badge" }, String(unread)) : null,
    ]);
    list.append(item);
  }
}

function renderPersonaNote() {
  const user = persona();
  const bits = [user.phone, user.skills && user.skills.length ? `skills: ${user.skills.join(", ")}` : "",
    user.vulnerable ? "⚠ 重点关注 vulnerable" : "", user.note || ""];
  $("persona-note").textContent = bits.filter(Boolean).join(" · ");
}

async function loadWorld() {
  state.world = await api("/world");
  if (!state.world.users.some((u) => u.id === state.personaId)) {
    const saved = Number(localStorage.getItem("linli.persona"));
    const fallback = state.world.users.length ? state.world.users[0].id : null;
    state.personaId = state.world.users.some((u) => u.id === saved) ? saved : fallback;
  }
  renderPersonas();
  if (state.personaId === null) return;
  renderPersonaNote();
  const chats = chatsOf(state.personaId);
  if (!chats.some((c) => c.id === state.chatId)) state.chatId = chats[0].id;
  renderChats();
}

function choosePersona(id) {
  state.personaId = id;
  localStorage.setItem("linli.persona", String(id));
  state.unread.clear();
  state.chatId = id;
  setReplyTo(null);
  renderPersonaNote();
  renderChats();
  refreshChat();
}

function openChat(chatId) {
  state.chatId = chatId;
  state.unread.delete(chatId);
  setReplyTo(null);
  renderChats();
  refreshChat();
  $("composer").focus();
}

// -- rendering Telegram's HTML safely -------------------------------------------------------------

const URL_PATTERN = /(https?:\/\/[^\s<>"']+|t\.me\/[^\s<>"']+)/g;
const SIMPLE_TAGS = { b: "b", strong: "b", i: "i", em: "i", u: "u", ins: "u", s: "s", strike: "s",
  del: "s", code: "code", pre: "pre", blockquote: "blockquote" };

function linkify(text) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    fragment.append(text.slice(last, match.index));
    const href = match[0].startsWith("http") ? match[0] : `https://${match[0]}`;
    fragment.append(el("a", { href, target: "_blank", rel: "noopener" }, match[0]));
    last = match.index + match[0].length;
  }
  fragment.append(text.slice(last));
  return fragment;
}

function safeHref(href) {
  return /^(https?:|tg:)/i.test(href || "") ? href : null;
}

// Rebuild the bot's HTML from an inert parse, keeping only Telegram's tags: nothing runs.
function rebuild(source, insideLink = false) {
  const fragment = document.createDocumentFragment();
  for (const node of source.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) {
      fragment.append(insideLink ? node.textContent : linkify(node.textContent));
      continue;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) continue;
    const tag = node.tagName.toLowerCase();
    let out;
    if (SIMPLE_TAGS[tag]) {
      out = document.createElement(SIMPLE_TAGS[tag]);
    } else if (tag === "a" && safeHref(node.getAttribute("href"))) {
      out = el("a", { href: node.getAttribute("href"), target: "_blank", rel: "noopener" });
    } else if (tag === "tg-spoiler" || (tag === "span" && node.classList.contains("tg-spoiler"))) {
      out = el("span", { class: "spoiler", title: "spoiler", onclick: (e) => e.currentTarget.classList.add("shown") });
    } else {
      out = document.createElement("span");
    }
    out.append(rebuild(node, insideLink || out.tagName === "A"));
    fragment.append(out);
  }
  return fragment;
}

function telegramHtml(html) {
  const parsed = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
  return rebuild(parsed.body);
}

// -- messages -------------------------------------------------------------------------------------

function preview(message) {
  if (!message) return "…";
  if (message.document) return `📄 ${message.document.file_name}`;
  if (message.contact) return `📞 ${message.contact.phone_number}`;
  const text = message.text || message.caption || "";
  const plain = message.from.is_bot ? telegramHtml(text).textContent : text;
  return plain.length > 60 ? `${plain.slice(0, 60)}…` : plain;
}

function inlineKeyboard(message) {
  const rows = (message.reply_markup && message.reply_markup.inline_keyboard) || [];
  if (!rows.length) return null;
  return el("div", { class: "inline-keyboard" }, rows.map((row) => el("div", { class: "row" },
    row.map((button) => {
      if (button.callback_data !== undefined) {
        return el("button", {
          type: "button",
          class: "inline-btn",
          dataset: { callback: button.callback_data },
          onclick: (event) => tap(message, button.callback_data, event.currentTarget),
        }, button.text);
      }
      const href = safeHref(button.url);
      return href
        ? el("a", { class: "url-btn", href, target: "_blank", rel: "noopener" }, `${button.text} ↗`)
        : el("button", { type: "button", class: "inline-btn", disabled: "" }, button.text);
    }))));
}

function messageBody(message) {
  const body = el("div", { class: "body" });
  if (message.document) {
    const doc = message.document;
    body.append(el("a", { class: "file", href: `${API}/files/${encodeURIComponent(doc.file_id)}`, download: doc.file_name },
      `📄 ${doc.file_name} (${Math.max(1, Math.round(doc.size / 1024))} KB)`), document.createElement("br"));
  }
  if (message.photo) {
    body.append(el("a", { class: "file", href: `${API}/files/${encodeURIComponent(message.photo.file_id)}`, target: "_blank" },
      "🖼 photo 图片"), document.createElement("br"));
  }
  if (message.contact) {
    body.append(el("span", { class: "contact" }, `📞 ${message.contact.phone_number}`));
  }
  const text = message.text ?? message.caption;
  if (text) body.append(message.from.is_bot ? telegramHtml(text) : linkify(text));
  return body;
}

function renderMessage(message, byId, pinned) {
  const mine = message.from.id === state.personaId;
  const classes = ["msg", message.from.is_bot ? "bot" : mine ? "mine" : "other"];
  if (message.message_id === pinned) classes.push("pinned");
  const node = el("div", { class: classes.join(" "), dataset: { messageId: String(message.message_id) } });
  if (state.chatId < 0 && !mine) node.append(el("div", { class: "sender" }, userName(message.from.id)));
  if (message.reply_to_message_id) {
    node.append(el("div", { class: "quote" }, `↩ ${preview(byId.get(message.reply_to_message_id))}`));
  }
  node.append(messageBody(message));
  node.append(inlineKeyboard(message) || "");
  // The community's clock (LINLI_TIMEZONE), as the bot's own messages state times, not the browser's.
  const time = new Date(message.date * 1000).toLocaleTimeString("zh-CN", {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: state.world.timezone,
  });
  node.append(el("div", { class: "meta" }, [
    message.message_id === pinned ? "📌" : null,
    message.edited ? "已编辑 edited" : null,
    time,
    mine ? null : el("button", {
      type: "button", class: "link-btn reply-action", onclick: () => setReplyTo(message),
    }, "↩ 回复 Reply"),
  ]));
  return node;
}

function renderMessages(data) {
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const byId = new Map(data.messages.map((m) => [m.message_id, m]));
  box.replaceChildren();
  if (!data.messages.length) {
    box.append(el("div", { class: "empty" }, state.chatId > 0
      ? ["和机器人私聊：发送 /start 开始", el("br"), "Private chat with the bot: send /start to begin"]
      : ["还没有消息 No messages yet"]));
  }
  for (const message of data.messages) box.append(renderMessage(message, byId, data.pinned));
  if (atBottom || state.forceScroll) box.scrollTop = box.scrollHeight;
  state.forceScroll = false;
}

function renderReplyKeyboard(keyboard) {
  const box = $("reply-keyboard");
  box.replaceChildren();
  box.hidden = !keyboard;
  if (!keyboard) return;
  for (const row of keyboard.keyboard) {
    box.append(el("div", { class: "row" }, row.map((button) => {
      const text = typeof button === "string" ? button : button.text;
      if (button.request_contact) {
        return el("button", { type: "button", class: "contact-btn", onclick: sharePhone }, `📱 ${text}`);
      }
      return el("button", { type: "button", onclick: () => send(text) }, text);
    })));
  }
}

function renderHeader() {
  const group = state.world.groups.find((g) => g.id === state.chatId);
  if (group) {
    const count = Object.values(group.members).filter((s) => PRESENT.has(s)).length;
    const privacy = group.privacy_mode ?? state.world.privacy_mode;
    $("chat-title").textContent = group.title;
    $("chat-subtitle").textContent = `${count} 成员 members · bot ${privacy ? "只看命令和回复 sees commands & replies" : "sees all messages 看全部消息"}`;
  } else {
    $("chat-title").textContent = `🤖 ${state.world.bot.first_name}`;
    $("chat-subtitle").textContent = `@${state.world.bot.username} · 私聊 private chat with ${userName(state.personaId)}`;
  }
}

function autoForceReply(messages) {
  // Telegram opens a reply to a force_reply message by itself; do the same once per message.
  const last = messages[messages.length - 1];
  const key = last && `${state.chatId}:${last.message_id}`;
  if (last && last.from.is_bot && last.reply_markup && last.reply_markup.force_reply && !state.forceReplySeen.has(key)) {
    state.forceReplySeen.add(key);
    setReplyTo(last);
  }
}

async function refreshChat() {
  if (state.chatId === null) return;
  const chatId = state.chatId;
  renderHeader();
  try {
    const data = await api(`/chats/${chatId}/messages`);
    if (chatId !== state.chatId) return;
    state.messages = data.messages;
    renderMessages(data);
    renderReplyKeyboard(data.keyboard);
    autoForceReply(data.messages);
  } catch (error) {
    toast(`⚠ ${error.message}`, "error");
  }
}

function setReplyTo(message) {
  state.replyTo = message ? message.message_id : null;
  $("reply-bar").hidden = !message;
  $("reply-preview").textContent = message ? preview(message) : "";
  if (message) $("composer").focus();
}

// -- acting as the persona ------------------------------------------------------------------------

async function send(text, chatId = state.chatId) {
  if (!text.trim()) return;
  try {
    state.forceScroll = true;
    await api("/send", {
      user_id: state.personaId, chat_id: chatId, text, reply_to: chatId === state.chatId ? state.replyTo : null,
    });
    setReplyTo(null);
  } catch (error) {
    toast(`⚠ ${error.message}`, "error");
  }
}

async function tap(message, data, button) {
  button.disabled = true;
  try {
    await api("/tap", { user_id: state.personaId, chat_id: state.chatId, message_id: message.message_id, data });
  } catch (error) {
    toast(`⚠ ${error.message}`, "error");
  } finally {
    setTimeout(() => { button.disabled = false; }, 400);
  }
}

async function sharePhone() {
  const phone = prompt("分享手机号 Share your phone number", persona().phone || "+86 ");
  if (!phone) return;
  try {
    state.forceScroll = true;
    await api("/contact", { user_id: state.personaId, phone_number: phone });
  } catch (error) {
    toast(`⚠ ${error.message}`, "error");
  }
}

function deepLink(href) {
  // https://t.me/<bot>?start=PAYLOAD opens the private chat and sends "/start PAYLOAD".
  try {
    const url = new URL(href, location.href);
    if (!/^(www\.)?t\.me$/i.test(url.hostname)) return null;
    const bot = url.pathname.replace(/^\//, "").toLowerCase();
    if (bot !== state.world.bot.username.toLowerCase()) return null;
    return url.searchParams.get("start") ?? "";
  } catch {
    return null;
  }
}

// -- live updates ---------------------------------------------------------------------------------

let refreshTimer = null;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshChat, 60);
}

function handleEvent(event) {
  if (event.type === "world") {
    loadWorld().then(refreshChat);
  } else if (event.type === "answer") {
    if (event.user_id === state.personaId && event.url) {
      // As Telegram's apps do: a t.me start link opens the private chat with the bot.
      const payload = deepLink(event.url);
      if (payload !== null) {
        openChat(state.personaId);
        send(payload ? `/start ${payload}` : "/start", state.personaId);
      }
    } else if (event.user_id === state.personaId && event.text) {
      toast(event.text, event.show_alert ? "alert" : "");
    }
  } else if (event.chat_id === state.chatId) {
    scheduleRefresh();
  } else if (event.type === "message" && chatsOf(state.personaId).some((c) => c.id === event.chat_id)) {
    state.unread.set(event.chat_id, (state.unread.get(event.chat_id) || 0) + 1);
    renderChats();
  }
}

async function pollEvents() {
  for (;;) {
    try {
      const data = await api(`/events?after=${state.seq}&timeout=25`);
      for (const event of data.events) handleEvent(event);
      state.seq = data.seq;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
  }
}

// -- wiring ---------------------------------------------------------------------------------------

function wire() {
  $("persona-select").addEventListener("change", (event) => choosePersona(Number(event.target.value)));
  $("composer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("composer");
    const text = input.value;
    input.value = "";
    input.rows = 1;
    send(text);
  });
  // Multi-line messages matter: a leader's /groupbuy has one field per line.
  $("composer").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer-form").requestSubmit();
    }
  });
  $("composer").addEventListener("input", (event) => {
    event.target.rows = Math.min(8, event.target.value.split("\n").length);
  });
  $("reply-cancel").addEventListener("click", () => setReplyTo(null));
  $("messages").addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (!link) return;
    const payload = deepLink(link.getAttribute("href"));
    if (payload === null) return;
    event.preventDefault();
    openChat(state.personaId);
    send(payload ? `/start ${payload}` : "/start", state.personaId);
  });
}

function readHash() {
  // #as=<user id>&chat=<chat id> opens the page as that persona in that chat (handy for links).
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.has("as")) state.personaId = Number(params.get("as"));
  if (params.has("chat")) state.chatId = Number(params.get("chat"));
}

async function main() {
  wire();
  readHash();
  try {
    await loadWorld();
    state.seq = state.world.seq;
    await refreshChat();
  } catch (error) {
    toast(`⚠ ${error.message}`, "error");
  }
  pollEvents();
}

main();
