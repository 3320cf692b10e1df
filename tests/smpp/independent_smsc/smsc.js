#!/usr/bin/env node
// An SMSC for smshall's SMPP tests, built on node-smpp (farhadi/node-smpp), an SMPP
// implementation written independently of smshall and of smpplib: its own framing,
// its own PDU codec, its own text and UDH decoding.
//
//   node smsc.js [--port N] [--system-id ID] [--password PW]
//
// It listens on 127.0.0.1 (port 0: any free port) and speaks JSON lines:
// commands on stdin, events on stdout. The first event is
// {"event":"listening","port":N}. A command may carry an "id"; it is answered
// with {"event":"ack","id":...} plus its result, or an "error". The process exits
// when stdin closes.
//
// Commands:
//   deliver      {link?, source, dest, data_coding?, esm_class?, short_message_hex?,
//                 registered_delivery?, tlvs?: {name: value | {"hex": ...}}}
//                 -> {link, sequence}
//   unbind       {link?}           the SMSC unbinds (every bound link by default)
//   kill         {link?}           destroy the socket(s) at once, no unbind
//   throttle     {count, status?}  answer the next `count` submit_sm with `status`
//                                  (ESME_RTHROTTLED 0x58 by default)
//   hold_resps   {}                leave every accepted submit_sm unanswered...
//   release      {drop?}           ...until released (answered now, or dropped)
//   refuse_binds {count, status?}  refuse the next `count` binds (ESME_RBINDFAIL 0x0D)
//   receipts     {mode, stat?}     "after" / "before" the submit_sm_resp, or "off"
//   links        {}                -> {links: [{id, bound_as, system_id, open}]}
//
// Events: listening, connect, close, bind, submit_sm, submit_sm_resp, receipt,
// deliver_sm_resp, enquire_link, unbind (from the ESME), unbind_resp,
// generic_nack, pdu (anything else), error.
'use strict';

const readline = require('readline');
const smpp = require('smpp');

const PDU = smpp.PDU;
const HEADER = new Set(['command', 'command_length', 'command_id', 'command_status', 'sequence_number']);
const BIND_COMMANDS = new Set(['bind_transmitter', 'bind_receiver', 'bind_transceiver']);
const RECEIVES = new Set(['bind_receiver', 'bind_transceiver']);
// How long a receipt sent "before" waits for its deliver_sm_resp before the
// submit_sm_resp goes anyway.
const RECEIPT_ACK_WAIT_MS = 3000;

// node-smpp decodes short_message and message_payload in place (text by
// data_coding, UDH split off). The wire octets are kept alongside, so that the
// tests see both what was sent and how this implementation reads it.
const decodeFields = PDU.prototype._filter;
PDU.prototype._filter = function filterKeepingOctets(direction) {
  if (direction === 'decode') {
    Object.defineProperty(this, 'octets', {
      value: { short_message: this.short_message, message_payload: this.message_payload },
      enumerable: false,
    });
  }
  return decodeFields.call(this, direction);
};

function parseArgs(argv) {
  const options = { port: 0, systemId: 'smshall', password: 'secret' };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--port') options.port = Number(value);
    else if (flag === '--system-id') options.systemId = value;
    else if (flag === '--password') options.password = value;
    else if (/^\d+$/.test(flag)) { options.port = Number(flag); continue; }
    else throw new Error(`unknown argument ${flag}`);
    i += 1;
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));

const started = process.hrtime.bigint();

// One event a line; `at` is seconds since start on a monotonic clock.
function emit(event) {
  const at = Number((process.hrtime.bigint() - started) / 1000n) / 1e6;
  process.stdout.write(`${JSON.stringify({ ...event, at })}\n`);
}

function plain(value) {
  if (Buffer.isBuffer(value)) return { hex: value.toString('hex') };
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    const out = {};
    for (const key of Object.keys(value)) out[key] = plain(value[key]);
    return out;
  }
  return value;
}

// Mandatory fields and TLVs of a PDU as node-smpp parsed them.
function describe(pdu) {
  const params = (smpp.commands[pdu.command] || {}).params || {};
  const fields = {};
  const tlvs = {};
  for (const key of Object.keys(pdu)) {
    if (HEADER.has(key)) continue;
    if (key in params) fields[key] = plain(pdu[key]);
    else tlvs[key] = plain(pdu[key]);
  }
  return { fields, tlvs };
}

const state = {
  nextLink: 1,
  links: new Map(),
  nextMessageId: 0x5a000,
  refuse: { count: 0, status: smpp.ESME_RBINDFAIL },
  throttle: { count: 0, status: smpp.ESME_RTHROTTLED },
  holding: false,
  held: [],
  receipts: { mode: 'off', stat: 'DELIVRD' },
  awaitingReceiptResp: new Map(),
};

function open(link) {
  return !link.session.socket.destroyed && link.session.socket.writable;
}

function targets(selector, filter) {
  if (selector === undefined || selector === null) {
    return [...state.links.values()].filter((link) => open(link) && (!filter || filter(link)));
  }
  const ids = Array.isArray(selector) ? selector : [selector];
  return ids.map((id) => {
    const link = state.links.get(id);
    if (!link) throw new Error(`no link ${id}`);
    return link;
  });
}

function receiverFor(link) {
  if (link.boundAs && RECEIVES.has(link.boundAs) && open(link)) return link;
  const candidates = [...state.links.values()].filter(
    (other) => open(other) && RECEIVES.has(other.boundAs) && other.systemId === link.systemId,
  );
  return candidates[candidates.length - 1] || null;
}

function stamp(date) {
  const two = (n) => String(n).padStart(2, '0');
  return `${two(date.getUTCFullYear() % 100)}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}`
    + `${two(date.getUTCHours())}${two(date.getUTCMinutes())}`;
}

// -- SMSC behaviour ----------------------------------------------------------------

function onBind(link, pdu) {
  let status = smpp.ESME_ROK;
  if (state.refuse.count > 0) {
    state.refuse.count -= 1;
    status = state.refuse.status;
  } else if (pdu.system_id !== options.systemId) {
    status = smpp.ESME_RINVSYSID;
  } else if (pdu.password !== options.password) {
    status = smpp.ESME_RINVPASWD;
  }
  emit({
    event: 'bind', link: link.id, command: pdu.command, sequence: pdu.sequence_number,
    system_id: pdu.system_id, password: pdu.password, system_type: pdu.system_type,
    interface_version: pdu.interface_version, status,
  });
  if (status !== smpp.ESME_ROK) {
    link.session.send(pdu.response({ command_status: status }));
    link.session.close();
    return;
  }
  link.boundAs = pdu.command;
  link.systemId = pdu.system_id;
  link.session.send(pdu.response({ system_id: 'NODESMPP' }));
}

function onSubmit(link, pdu) {
  const { fields, tlvs } = describe(pdu);
  const decoded = pdu.short_message || {};
  const event = {
    event: 'submit_sm', link: link.id, sequence: pdu.sequence_number, fields, tlvs,
    short_message_hex: pdu.octets.short_message ? pdu.octets.short_message.toString('hex') : '',
    message_payload_hex: pdu.octets.message_payload ? pdu.octets.message_payload.toString('hex') : null,
    // How node-smpp reads the text: UDH information elements and the decoded message.
    decoded_udh: (decoded.udh || []).map((element) => element.toString('hex')),
    decoded_text: typeof decoded.message === 'string' ? decoded.message : null,
  };
  if (link.boundAs === null || link.boundAs === 'bind_receiver') {
    emit({ ...event, status: smpp.ESME_RINVBNDSTS });
    link.session.send(pdu.response({ command_status: smpp.ESME_RINVBNDSTS }));
    return;
  }
  if (state.throttle.count > 0) {
    state.throttle.count -= 1;
    emit({ ...event, status: state.throttle.status });
    link.session.send(pdu.response({ command_status: state.throttle.status }));
    return;
  }
  const messageId = (state.nextMessageId += 1).toString(16);
  emit({ ...event, status: smpp.ESME_ROK, message_id: messageId, held: state.holding });
  const accepted = { link, pdu, messageId, text: event.decoded_text || '' };
  if (state.holding) state.held.push(accepted);
  else accept(accepted);
}

function accept({ link, pdu, messageId, text }) {
  const respond = (receiptAnswered) => {
    if (!open(link)) {
      emit({ event: 'submit_sm_resp', link: link.id, sequence: pdu.sequence_number, sent: false });
      return;
    }
    link.session.send(pdu.response({ message_id: messageId }));
    emit({
      event: 'submit_sm_resp', link: link.id, sequence: pdu.sequence_number, sent: true,
      message_id: messageId, status: 0, receipt_answered_first: receiptAnswered,
    });
  };
  const wantsReceipt = (pdu.registered_delivery & 0x03) !== 0;
  if (!wantsReceipt || state.receipts.mode === 'off') {
    respond(null);
    return;
  }
  if (state.receipts.mode === 'after') {
    respond(null);
    sendReceipt(link, pdu, messageId, text, false);
    return;
  }
  // "before": the receipt goes first and the submit_sm_resp waits for its deliver_sm_resp.
  const sent = sendReceipt(link, pdu, messageId, text, true);
  if (!sent) {
    respond(false);
    return;
  }
  const key = `${sent.link.id}:${sent.sequence}`;
  const timer = setTimeout(() => {
    state.awaitingReceiptResp.delete(key);
    respond(false);
  }, RECEIPT_ACK_WAIT_MS);
  state.awaitingReceiptResp.set(key, () => {
    clearTimeout(timer);
    respond(true);
  });
}

function sendReceipt(link, submit, messageId, text, beforeResp) {
  const receiver = receiverFor(link);
  if (!receiver) {
    emit({ event: 'receipt', message_id: messageId, sent: false, reason: 'no receiver bound' });
    return null;
  }
  const now = new Date();
  const shown = text.replace(/[^\x20-\x7e]/g, '').slice(0, 20);
  const body = `id:${messageId} sub:001 dlvrd:001 submit date:${stamp(now)} done date:${stamp(now)}`
    + ` stat:${state.receipts.stat} err:000 text:${shown}`;
  const delivered = state.receipts.stat.startsWith('DELIV');
  const pdu = new PDU('deliver_sm', {
    source_addr_ton: submit.dest_addr_ton,
    source_addr_npi: submit.dest_addr_npi,
    source_addr: submit.destination_addr,
    destination_addr: submit.source_addr,
    esm_class: smpp.consts.ESM_CLASS.MC_DELIVERY_RECEIPT,
    data_coding: 0,
    short_message: Buffer.from(body, 'ascii'),
    receipted_message_id: messageId,
    message_state: delivered ? smpp.consts.MESSAGE_STATE.DELIVERED : smpp.consts.MESSAGE_STATE.UNDELIVERABLE,
  });
  receiver.session.send(pdu);
  emit({
    event: 'receipt', link: receiver.id, sequence: pdu.sequence_number, message_id: messageId,
    sent: true, before_resp: beforeResp, text: body,
  });
  return { link: receiver, sequence: pdu.sequence_number };
}

function onPdu(link, pdu) {
  const command = pdu.command;
  if (BIND_COMMANDS.has(command)) {
    onBind(link, pdu);
  } else if (command === 'submit_sm') {
    onSubmit(link, pdu);
  } else if (command === 'deliver_sm_resp') {
    emit({
      event: 'deliver_sm_resp', link: link.id, sequence: pdu.sequence_number,
      status: pdu.command_status,
    });
    const waiting = state.awaitingReceiptResp.get(`${link.id}:${pdu.sequence_number}`);
    if (waiting) {
      state.awaitingReceiptResp.delete(`${link.id}:${pdu.sequence_number}`);
      waiting();
    }
  } else if (command === 'enquire_link') {
    emit({ event: 'enquire_link', link: link.id, sequence: pdu.sequence_number });
    link.session.send(pdu.response());
  } else if (command === 'unbind') {
    emit({ event: 'unbind', link: link.id, sequence: pdu.sequence_number });
    link.session.send(pdu.response());
    link.boundAs = null;
    link.session.close();
  } else if (command === 'unbind_resp') {
    emit({
      event: 'unbind_resp', link: link.id, sequence: pdu.sequence_number,
      status: pdu.command_status,
    });
    link.boundAs = null;
    link.session.close();
  } else if (command === 'generic_nack') {
    emit({
      event: 'generic_nack', link: link.id, sequence: pdu.sequence_number,
      status: pdu.command_status,
    });
  } else {
    emit({
      event: 'pdu', link: link.id, command, sequence: pdu.sequence_number,
      status: pdu.command_status, ...describe(pdu),
    });
    if (!pdu.isResponse()) link.session.send(pdu.response());
  }
}

// -- control channel ---------------------------------------------------------------

function tlvValue(value) {
  return value && typeof value === 'object' && 'hex' in value ? Buffer.from(value.hex, 'hex') : value;
}

const commands = {
  deliver(command) {
    const [link] = command.link === undefined
      ? targets(undefined, (candidate) => RECEIVES.has(candidate.boundAs)).slice(-1)
      : targets(command.link);
    if (!link) throw new Error('no receiver bound');
    const fields = {
      source_addr: command.source || '',
      destination_addr: command.dest || '',
      esm_class: command.esm_class || 0,
      data_coding: command.data_coding || 0,
      registered_delivery: command.registered_delivery || 0,
      short_message: Buffer.from(command.short_message_hex || '', 'hex'),
    };
    for (const [name, value] of Object.entries(command.tlvs || {})) {
      if (!(name in smpp.tlvs)) throw new Error(`node-smpp knows no TLV ${name}`);
      fields[name] = tlvValue(value);
    }
    const pdu = new PDU('deliver_sm', fields);
    if (!link.session.send(pdu)) throw new Error(`link ${link.id} is not writable`);
    return { link: link.id, sequence: pdu.sequence_number };
  },
  unbind(command) {
    const links = targets(command.link, (link) => link.boundAs !== null);
    for (const link of links) link.session.unbind();
    return { links: links.map((link) => link.id) };
  },
  kill(command) {
    const links = targets(command.link);
    const killed = new Set(links.map((link) => link.id));
    const before = state.held.length;
    state.held = state.held.filter((entry) => !killed.has(entry.link.id));
    for (const link of links) link.session.destroy();
    return { links: [...killed], dropped: before - state.held.length };
  },
  throttle(command) {
    state.throttle = { count: command.count || 0, status: command.status || smpp.ESME_RTHROTTLED };
    return {};
  },
  hold_resps() {
    state.holding = true;
    return {};
  },
  release(command) {
    const held = state.held;
    state.held = [];
    state.holding = false;
    if (!command.drop) held.forEach(accept);
    return { released: command.drop ? 0 : held.length, dropped: command.drop ? held.length : 0 };
  },
  refuse_binds(command) {
    state.refuse = { count: command.count || 0, status: command.status || smpp.ESME_RBINDFAIL };
    return {};
  },
  receipts(command) {
    if (!['after', 'before', 'off'].includes(command.mode)) throw new Error(`receipts mode ${command.mode}`);
    state.receipts = { mode: command.mode, stat: command.stat || 'DELIVRD' };
    return {};
  },
  links() {
    return {
      links: [...state.links.values()].map((link) => ({
        id: link.id, bound_as: link.boundAs, system_id: link.systemId, open: open(link),
      })),
    };
  },
};

function control(line) {
  if (!line.trim()) return;
  let command;
  try {
    command = JSON.parse(line);
  } catch (error) {
    emit({ event: 'ack', id: null, error: `not JSON: ${error.message}` });
    return;
  }
  const handler = commands[command.cmd];
  try {
    if (!handler) throw new Error(`unknown command ${command.cmd}`);
    emit({ event: 'ack', id: command.id === undefined ? null : command.id, ...handler(command) });
  } catch (error) {
    emit({ event: 'ack', id: command.id === undefined ? null : command.id, error: error.message });
  }
}

// -- server ------------------------------------------------------------------------

const server = smpp.createServer((session) => {
  const link = { id: state.nextLink, session, boundAs: null, systemId: null };
  state.nextLink += 1;
  state.links.set(link.id, link);
  emit({ event: 'connect', link: link.id, remote_port: session.socket.remotePort });
  session.on('pdu', (pdu) => {
    try {
      onPdu(link, pdu);
    } catch (error) {
      emit({ event: 'error', link: link.id, message: error.stack || String(error) });
    }
  });
  session.on('error', (error) => {
    // node-smpp stops reading a session after a PDU it cannot parse; end it so
    // that the ESME sees a dead link rather than a silent one.
    emit({ event: 'error', link: link.id, message: error.message });
    session.destroy();
  });
  session.on('close', () => {
    link.boundAs = null;
    emit({ event: 'close', link: link.id });
  });
});

server.on('error', (error) => {
  emit({ event: 'error', message: error.message });
  process.exit(1);
});

server.listen(options.port, '127.0.0.1', () => {
  emit({ event: 'listening', port: server.address().port });
});

const input = readline.createInterface({ input: process.stdin });
input.on('line', control);
input.on('close', () => process.exit(0));
