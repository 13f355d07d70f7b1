// Consoles in tabs: one xterm.js terminal per guest, on the guest's console through dumm-rest
// (GET /dumm/console/GUEST streams its output, POST …/SESSION types). Closing a tab detaches;
// the guest keeps running. Each terminal fits its pane (xterm's fit addon, on every change of the
// pane's size) and the size reaches the guest: PUT …/SESSION {rows, cols} sets the console pty's
// window size, so `stty size` and full-screen programs in the guest follow the browser.
'use strict';

class Consoles {
  constructor(box, tabs, panes, token, say) {
    Object.assign(this, {box, tabs, panes, token, say});
    this.open_ = new Map();   // guest -> {tab, pane, term, fit, session, abort}
    window.addEventListener('resize', () => this.fitActive());
    if (window.ResizeObserver) new ResizeObserver(() => this.fitActive()).observe(panes);
  }

  open(guest) {
    if (this.open_.has(guest)) { this.show(guest); return; }
    this.box.hidden = false;
    const tab = document.createElement('button');
    tab.type = 'button';
    tab.dataset.guest = guest;
    tab.textContent = guest;
    const x = document.createElement('span');
    x.className = 'close';
    x.textContent = '×';
    x.title = 'detach';
    tab.appendChild(x);
    tab.addEventListener('click', e => { if (e.target === x) this.close(guest); else this.show(guest); });
    this.tabs.appendChild(tab);
    const pane = document.createElement('div');
    pane.className = 'console-pane';
    pane.dataset.guest = guest;
    this.panes.appendChild(pane);
    const term = new Terminal({convertEol: false, cursorBlink: true, fontSize: 13, scrollback: 2000});
    const fit = new FitAddon.FitAddon();
    term.loadAddon(fit);
    term.open(pane);
    const c = {tab, pane, term, fit, session: null, abort: new AbortController(), pending: '', sending: false};
    this.open_.set(guest, c);
    term.onData(d => this.type(guest, d));
    term.onResize(() => this.sendSize(guest));
    this.show(guest);
    this.follow(guest, c);
  }

  show(guest) {
    for (const [g, c] of this.open_) {
      c.pane.hidden = g !== guest;
      c.tab.classList.toggle('active', g === guest);
    }
    this.active = guest;
    this.fitActive();
    const c = this.open_.get(guest);
    if (c) c.term.focus();
  }

  fitActive() {
    const c = this.open_.get(this.active);
    if (c) { try { c.fit.fit(); } catch (e) { /* not laid out yet */ } }
  }

  async follow(guest, c) {
    try {
      const r = await fetch('/dumm/console/' + encodeURIComponent(guest),
          {headers: {'Authorization': 'Bearer ' + this.token}, signal: c.abort.signal, cache: 'no-store'});
      if (!r.ok) {
        const j = await r.json().catch(() => null);
        c.term.write('\r\n[' + (j && j.message ? j.message : 'console: ' + r.status) + ']\r\n');
        return;
      }
      const reader = r.body.getReader();
      const decoder = new TextDecoder();
      let buf = '';
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        buf += decoder.decode(value, {stream: true});
        let end;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          this.handle(c, buf.slice(0, end));
          buf = buf.slice(end + 2);
        }
      }
      c.term.write('\r\n[console closed]\r\n');
    } catch (e) {
      if (e.name !== 'AbortError') c.term.write('\r\n[console: ' + e.message + ']\r\n');
    }
  }

  handle(c, block) {
    let name = '', data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) name = line.slice(7);
      else if (line.startsWith('data: ')) data += line.slice(6);
    }
    if (name === 'open') {
      c.session = JSON.parse(data).session;
      this.sendSize(c.tab.dataset.guest);
      this.type(c.tab.dataset.guest, '\r');   // a waiting shell shows its prompt
    } else if (name === 'out') {
      const bin = atob(JSON.parse(data));
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      c.term.write(bytes);
    } else if (name === 'closed') {
      c.term.write('\r\n[console closed]\r\n');
    }
  }

  /** The terminal's rows and columns to the guest's console; the last size wins when several come quickly. */
  async sendSize(guest) {
    const c = this.open_.get(guest);
    if (!c || !c.session) return;
    const want = c.term.rows + 'x' + c.term.cols;
    if (c.sizing) { c.sizeWanted = want; return; }
    c.sizing = true;
    try {
      for (let size = want; size && size !== c.pane.dataset.size; size = c.sizeWanted) {
        c.sizeWanted = null;
        const [rows, cols] = size.split('x').map(Number);
        const r = await fetch('/dumm/console/' + encodeURIComponent(guest) + '/' + c.session,
            {method: 'PUT', headers: {'Authorization': 'Bearer ' + this.token, 'Content-Type': 'application/json'},
             body: JSON.stringify({rows, cols})});
        if (!r.ok) { this.say('console ' + guest + ' size: ' + r.status, true); break; }
        c.pane.dataset.size = size;     // what the guest's console has now
      }
    } finally {
      c.sizing = false;
    }
  }

  /** Keys go out in order, batched while a POST is under way. */
  async type(guest, text) {
    const c = this.open_.get(guest);
    if (!c) return;
    c.pending += text;
    if (c.sending || !c.session) return;
    c.sending = true;
    try {
      while (c.pending && c.session) {
        const body = c.pending;
        c.pending = '';
        const r = await fetch('/dumm/console/' + encodeURIComponent(guest) + '/' + c.session,
            {method: 'POST', headers: {'Authorization': 'Bearer ' + this.token, 'Content-Type': 'application/octet-stream'}, body});
        if (!r.ok) { this.say('console ' + guest + ': ' + r.status, true); break; }
      }
    } finally {
      c.sending = false;
    }
  }

  close(guest) {
    const c = this.open_.get(guest);
    if (!c) return;
    this.open_.delete(guest);
    if (c.session) {
      fetch('/dumm/console/' + encodeURIComponent(guest) + '/' + c.session,
          {method: 'DELETE', headers: {'Authorization': 'Bearer ' + this.token}}).catch(() => {});
    }
    c.abort.abort();
    c.term.dispose();
    c.tab.remove();
    c.pane.remove();
    if (this.open_.size === 0) this.box.hidden = true;
    else this.show(this.open_.keys().next().value);
  }
}

window.Consoles = Consoles;
