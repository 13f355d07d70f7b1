// Dumm's web UI: a client of the REST API (/dumm/api) and its event stream (/dumm/events), with
// the token the URL's fragment brought (#token=…; kept in this tab's sessionStorage and wiped
// from the address bar). Every request carries it in 'Authorization: Bearer', never a cookie.
'use strict';

const API = '/dumm/api';
const $ = id => document.getElementById(id);
const state = {guests: [], bridges: [], templates: [], lastEventId: null, refreshTimer: null};

const token = (() => {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem('dumm-token', decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem('dumm-token');
})();

function say(text, error) {
  const m = $('message');
  m.textContent = text;
  m.className = error ? 'error' : '';
}

async function api(method, path, body) {
  const opts = {method, headers: {'Authorization': 'Bearer ' + token}};
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(API + path, opts);
  const text = await r.text();
  const json = text && (r.headers.get('Content-Type') || '').startsWith('application/json') ? JSON.parse(text) : null;
  if (!r.ok) {
    const err = new Error(json && json.message ? json.message : r.status + ' ' + r.statusText);
    err.status = r.status;
    err.reason = json && json.reason;
    throw err;
  }
  return json;
}

/** Runs a user action: its result or its failure shows in the header, then the picture is redone. */
async function act(label, fn) {
  say(label + ' …');
  try {
    const out = await fn();
    say(label + ': done');
    scheduleRefresh();
    return out;
  } catch (e) {
    say(label + ': ' + e.message, true);
    return null;
  }
}

async function refresh() {
  try {
    const [guests, bridges, templates] = await Promise.all([api('GET', '/guests'), api('GET', '/bridges'), api('GET', '/templates')]);
    Object.assign(state, {guests, bridges, templates});
    graph.update(guests, bridges);
    $('counts').textContent = guests.length + ' guests, ' + bridges.length + ' bridges, '
        + guests.filter(g => g.state === 'RUNNING').length + ' running';
    fillExecGuests();
    fillTemplates();
    labs.refresh();
    testRuns.refresh();
  } catch (e) {
    say((e.status === 401 ? 'token refused (open the URL ./dumm web prints)' : 'refresh failed: ' + e.message), true);
  }
}

function scheduleRefresh() {
  if (state.refreshTimer) return;
  state.refreshTimer = setTimeout(() => { state.refreshTimer = null; refresh(); }, 20);
}

// ---- live events: Server-Sent Events read through fetch (EventSource cannot send a header)

async function follow() {
  const headers = {'Authorization': 'Bearer ' + token};
  if (state.lastEventId !== null) headers['Last-Event-ID'] = String(state.lastEventId);
  try {
    const r = await fetch('/dumm/events', {headers, cache: 'no-store'});
    if (!r.ok) throw new Error('event stream: ' + r.status);
    live(true);
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buf += decoder.decode(value, {stream: true});
      let end;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        handleEvent(buf.slice(0, end));
        buf = buf.slice(end + 2);
      }
    }
  } catch (e) {
    // reconnect below
  }
  live(false);
  setTimeout(follow, 1000);
}

function handleEvent(block) {
  let id = null, name = 'message', data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('id: ')) id = Number(line.slice(4));
    else if (line.startsWith('event: ')) name = line.slice(7);
    else if (line.startsWith('data: ')) data += line.slice(6);
  }
  if (id === null) return;        // a keep-alive comment
  state.lastEventId = id;
  if (name === 'hello' || name === 'reload') refresh();
  else scheduleRefresh();
}

function live(on) {
  const l = $('live');
  l.className = 'live ' + (on ? 'on' : 'off');
  l.textContent = on ? 'live' : 'offline';
}

// ---- selection and actions

function button(label, fn) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.addEventListener('click', fn);
  $('actions').appendChild(b);
}

function onSelect(item) {
  $('actions').replaceChildren();
  if (!item) { $('selected').textContent = 'nothing (click a node or a link)'; return; }
  if (item.kind === 'guest') {
    const g = state.guests.find(x => x.name === item.name) || item.data;
    $('selected').textContent = 'guest ' + g.name + ' — ' + g.state;
    const n = encodeURIComponent(g.name);
    if (['STOPPED', 'CRASHED'].includes(g.state)) button('Start', () => act('start ' + g.name, () => api('POST', '/guests/' + n + '/start')));
    if (g.state === 'RUNNING') {
      button('Stop', () => act('stop ' + g.name, () => api('POST', '/guests/' + n + '/stop')));
      button('Pause', () => act('pause ' + g.name, () => api('POST', '/guests/' + n + '/pause')));
    }
    if (g.state === 'RUNNING') button('Console', () => consoles.open(g.name));
    if (g.state === 'PAUSED') button('Resume', () => act('resume ' + g.name, () => api('POST', '/guests/' + n + '/resume')));
    button('Add interface', () => act('add interface to ' + g.name, () => api('POST', '/guests/' + n + '/interfaces', {name: nextIface(g)})));
    button('Delete', () => {
      if (g.state === 'STOPPED' || confirm('Guest ' + g.name + ' is ' + g.state + '. Kill and delete it?')) {
        act('delete ' + g.name, () => api('DELETE', '/guests/' + n + '?force=true'));
      }
    });
    $('exec-guest').value = g.name;
  } else if (item.kind === 'bridge') {
    $('selected').textContent = 'bridge ' + item.name + ' — ports: ' + (item.data.ports.join(', ') || 'none');
    button('Delete', () => act('delete bridge ' + item.name, () => api('DELETE', '/bridges/' + encodeURIComponent(item.name))));
  } else {
    const i = item.data;
    $('selected').textContent = 'link ' + i.guest + ' ' + i.name + ' → ' + i.bridge + ' (' + (i.addresses.join(', ') || 'no address') + ')';
    const path = '/guests/' + encodeURIComponent(i.guest) + '/interfaces/' + encodeURIComponent(i.name);
    button('Disconnect', () => act('disconnect ' + i.guest + ' ' + i.name, () => api('POST', path + '/disconnect')));
    button('Remove interface', () => act('remove ' + i.guest + ' ' + i.name, () => api('DELETE', path)));
  }
}
// links carry no kind: mark them
const selectHandler = item => onSelect(item && !item.kind ? Object.assign(item, {kind: 'link'}) : item);

function nextIface(g) {
  const used = new Set(g.interfaces.map(i => i.name));
  let k = 0;
  while (used.has('eth' + k)) k++;
  return 'eth' + k;
}

function onConnect(guest, bridge) {
  const g = state.guests.find(x => x.name === guest);
  if (!g) return;
  const free = g.interfaces.find(i => !i.bridge);
  const n = encodeURIComponent(guest);
  if (free) act('connect ' + guest + ' ' + free.name + ' to ' + bridge,
      () => api('POST', '/guests/' + n + '/interfaces/' + encodeURIComponent(free.name) + '/connect', {bridge}));
  else {
    const name = nextIface(g);
    act('add ' + guest + ' ' + name + ' on ' + bridge, () => api('POST', '/guests/' + n + '/interfaces', {name, bridge}));
  }
}

function fillExecGuests() {
  const sel = $('exec-guest');
  const keep = sel.value;
  sel.replaceChildren(...state.guests.map(g => new Option(g.name + (g.state === 'RUNNING' ? '' : ' (' + g.state.toLowerCase() + ')'), g.name)));
  if (state.guests.some(g => g.name === keep)) sel.value = keep;
}

function fillTemplates() {
  const ul = $('templates');
  ul.replaceChildren();
  for (const t of state.templates) {
    const li = document.createElement('li');
    li.textContent = t.name + (t.loaded ? ' (loaded)' : '') + ' ';
    const add = (label, fn) => {
      const b = document.createElement('button');
      b.type = 'button'; b.textContent = label; b.addEventListener('click', fn); li.appendChild(b);
    };
    const n = encodeURIComponent(t.name);
    if (t.loaded) add('Unload', () => act('unload ' + t.name, () => api('POST', '/templates/' + n + '/unload')));
    else add('Load', () => act('load ' + t.name, () => api('POST', '/templates/' + n + '/load')));
    add('Diff', async () => {
      const d = await act('diff ' + t.name, () => api('GET', '/templates/' + n + '/diff'));
      if (d) $('template-diff').textContent = d.map(x => x.guest + ':\n' + [...x.added.map(p => '+ ' + p),
          ...x.changed.map(p => '~ ' + p), ...x.deleted.map(p => '- ' + p)].join('\n')).join('\n') || '(no changes)';
    });
    if (!t.loaded) add('Delete', () => act('delete template ' + t.name, () => api('DELETE', '/templates/' + n)));
    ul.appendChild(li);
  }
}

function form(id, fn) {
  $(id).addEventListener('submit', async e => {
    e.preventDefault();
    const done = await fn();
    const input = $(id).querySelector('input');
    if (done && input && id !== 'exec-form') input.value = '';
  });
}

let graph, consoles, labs, testRuns;
window.addEventListener('DOMContentLoaded', () => {
  graph = new Graph($('graph'), {select: selectHandler, connect: onConnect});
  consoles = new Consoles($('consoles'), $('console-tabs'), $('console-panes'), token, say);
  if (!token) {
    say('no token: open the URL ./dumm web prints (…/dumm/ui/#token=…)', true);
    return;
  }
  labs = new Labs($('labs-box'), api, act);
  testRuns = new TestRuns($('tests-box'), api, act);
  form('guest-form', () => act('create guest', () => api('POST', '/guests', {name: $('guest-name').value.trim()})));
  form('bridge-form', () => act('create bridge', () => api('POST', '/bridges', {name: $('bridge-name').value.trim()})));
  form('template-form', () => act('create template', () => api('POST', '/templates', {name: $('template-name').value.trim()})));
  form('exec-form', async () => {
    const g = $('exec-guest').value;
    if (!g) { say('no guest to run it in', true); return null; }
    const r = await act('exec in ' + g, () => api('POST', '/guests/' + encodeURIComponent(g) + '/exec', {command: $('exec-command').value}));
    if (r) $('exec-output').textContent = '$ ' + $('exec-command').value + '\n' + r.stdout
        + (r.stderr ? r.stderr : '') + '[exit ' + r.exitStatus + (r.timedOut ? ', timed out' : '') + ']';
    return r;
  });
  refresh();
  follow();
});
