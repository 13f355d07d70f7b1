// The topology graph: guests (circles, coloured by state) and bridges (boxes) as nodes, interfaces
// as links, laid out by a small force simulation that keeps every node where it was across
// updates. Plain SVG, no library. Dragging a guest onto a bridge asks to connect them.
'use strict';

const SVG_NS = 'http://www.w3.org/2000/svg';

class Graph {
  constructor(svg, handlers) {
    this.svg = svg;
    this.on = handlers;           // {select(item), connect(guest, bridge)}
    this.nodes = new Map();       // id -> {id, kind, name, x, y, vx, vy, data, el}
    this.links = new Map();       // id -> {id, source, target, data, el, label}
    this.selected = null;
    this.linkLayer = this.make('g', {class: 'links'}, svg);
    this.nodeLayer = this.make('g', {class: 'nodes'}, svg);
    this.dragLine = null;
    this.ticks = 0;
    this.running = false;
    svg.addEventListener('click', e => { if (e.target === svg) this.select(null); });
  }

  make(tag, attrs, parent) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (parent) parent.appendChild(el);
    return el;
  }

  size() {
    const r = this.svg.getBoundingClientRect();
    return {w: Math.max(r.width, 200), h: Math.max(r.height, 200)};
  }

  /** Replaces the picture with these guests and bridges (API shapes). */
  update(guests, bridges) {
    const {w, h} = this.size();
    const want = new Map();
    for (const b of bridges) want.set('bridge:' + b.name, {kind: 'bridge', name: b.name, data: b});
    for (const g of guests) want.set('guest:' + g.name, {kind: 'guest', name: g.name, data: g});
    for (const [id, n] of this.nodes) {
      if (!want.has(id)) { n.el.remove(); this.nodes.delete(id); }
    }
    for (const [id, spec] of want) {
      let n = this.nodes.get(id);
      if (!n) {
        n = {id, kind: spec.kind, name: spec.name, x: w / 2 + (Math.random() - .5) * w / 2,
             y: h / 2 + (Math.random() - .5) * h / 2, vx: 0, vy: 0};
        n.el = this.nodeElement(n);
        this.nodes.set(id, n);
      }
      n.data = spec.data;
      this.decorate(n);
    }
    const links = new Map();
    for (const g of guests) {
      for (const i of g.interfaces) {
        if (i.bridge && this.nodes.has('bridge:' + i.bridge)) {
          links.set('link:' + g.name + '/' + i.name, {source: 'guest:' + g.name, target: 'bridge:' + i.bridge, data: i});
        }
      }
    }
    for (const [id, l] of this.links) {
      if (!links.has(id)) { l.el.remove(); l.label.remove(); this.links.delete(id); }
    }
    for (const [id, spec] of links) {
      let l = this.links.get(id);
      if (!l) {
        l = {id};
        l.el = this.make('line', {class: 'link', 'data-id': id}, this.linkLayer);
        l.label = this.make('text', {class: 'link-label'}, this.linkLayer);
        l.title = this.make('title', {}, l.el);
        l.el.addEventListener('click', e => { e.stopPropagation(); this.select(l); });
        this.links.set(id, l);
      }
      Object.assign(l, spec);
      l.label.textContent = spec.data.name;
      l.title.textContent = spec.data.guest + ' ' + spec.data.name + ' (' + spec.data.tap + ') on ' + spec.data.bridge
          + (spec.data.addresses.length ? '\n' + spec.data.addresses.join('\n') : '') + '\n' + spec.data.mac;
    }
    if (this.selected && !this.nodes.has(this.selected.id) && !this.links.has(this.selected.id)) this.select(null);
    else if (this.selected) this.on.select(this.selected);
    this.kick();
  }

  nodeElement(n) {
    const g = this.make('g', {class: 'node ' + n.kind, 'data-id': n.id}, this.nodeLayer);
    if (n.kind === 'guest') this.make('circle', {r: 18}, g);
    else {
      const w = Math.max(56, n.name.length * 7.5 + 14);
      this.make('rect', {x: -w / 2, y: -12, width: w, height: 24, rx: 4}, g);
    }
    const t = this.make('text', {'text-anchor': 'middle', y: n.kind === 'guest' ? 32 : 4}, g);
    t.textContent = n.name;
    n.title = this.make('title', {}, g);
    g.addEventListener('mousedown', e => this.startDrag(e, n));
    return g;
  }

  decorate(n) {
    if (n.kind === 'guest') {
      const g = n.data;
      n.el.querySelector('circle').setAttribute('class', 'state-' + g.state);
      n.el.setAttribute('data-state', g.state);
      const addrs = g.interfaces.flatMap(i => i.addresses.map(a => i.name + ' ' + a));
      n.title.textContent = g.name + ' — ' + g.state + (g.pid ? ' (pid ' + g.pid + ')' : '')
          + '\nmaster ' + g.master + ', ' + g.memoryMb + ' MiB' + (addrs.length ? '\n' + addrs.join('\n') : '');
    } else {
      n.title.textContent = n.name + ' — ports: ' + (n.data.ports.join(', ') || 'none');
    }
  }

  select(item) {
    if (this.selected && this.selected.el) this.selected.el.classList.remove('selected');
    this.selected = item;
    if (item) item.el.classList.add('selected');
    this.on.select(item);
  }

  point(e) {
    const r = this.svg.getBoundingClientRect();
    return {x: e.clientX - r.left, y: e.clientY - r.top};
  }

  startDrag(e, n) {
    e.preventDefault();
    e.stopPropagation();
    const start = this.point(e);
    let moved = false;
    const move = ev => {
      const p = this.point(ev);
      if (!moved && Math.hypot(p.x - start.x, p.y - start.y) < 4) return;
      moved = true;
      if (n.kind === 'guest') {
        if (!this.dragLine) this.dragLine = this.make('line', {class: 'drag-line'}, this.svg);
        this.dragLine.setAttribute('x1', n.x); this.dragLine.setAttribute('y1', n.y);
        this.dragLine.setAttribute('x2', p.x); this.dragLine.setAttribute('y2', p.y);
      } else {
        n.x = p.x; n.y = p.y; n.fixed = true; this.draw();
      }
    };
    const up = ev => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
      if (this.dragLine) { this.dragLine.remove(); this.dragLine = null; }
      if (!moved) { this.select(n); return; }
      if (n.kind !== 'guest') return;
      const p = this.point(ev);
      // the bridge under the pointer (as drawn now: the layout may have moved it meanwhile)
      const hit = document.elementFromPoint(ev.clientX, ev.clientY);
      const el = hit && hit.closest && hit.closest('g.node.bridge');
      const target = el ? this.nodes.get(el.getAttribute('data-id')) : null;
      if (target) this.on.connect(n.name, target.name);
      else { n.x = p.x; n.y = p.y; n.fixed = true; this.draw(); }
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
  }

  kick() {
    this.ticks = Math.max(this.ticks, 120);
    if (!this.running) { this.running = true; requestAnimationFrame(() => this.tick()); }
  }

  tick() {
    const {w, h} = this.size();
    const nodes = [...this.nodes.values()];
    const k = Math.min(120, Math.sqrt(w * h / Math.max(nodes.length, 1)) * .7);
    for (let i = 0; i < nodes.length; i++) {
      const a = nodes[i];
      for (let j = i + 1; j < nodes.length; j++) {
        const b = nodes[j];
        let dx = a.x - b.x, dy = a.y - b.y;
        const d2 = Math.max(dx * dx + dy * dy, 1);
        const bridges = a.kind === 'bridge' && b.kind === 'bridge';   // keep segments apart
        if (d2 > 9 * k * k && !bridges) continue;
        const f = k * k / d2 * (bridges ? .4 : .05);
        a.vx += dx * f; a.vy += dy * f; b.vx -= dx * f; b.vy -= dy * f;
      }
    }
    for (const l of this.links.values()) {
      const a = this.nodes.get(l.source), b = this.nodes.get(l.target);
      const dx = b.x - a.x, dy = b.y - a.y, d = Math.max(Math.hypot(dx, dy), 1);
      const f = (d - k) / d * .02;
      a.vx += dx * f; a.vy += dy * f; b.vx -= dx * f; b.vy -= dy * f;
    }
    for (const n of nodes) {
      n.vx += (w / 2 - n.x) * .002; n.vy += (h / 2 - n.y) * .002;
      if (!n.fixed) { n.x += n.vx; n.y += n.vy; }
      n.vx *= .6; n.vy *= .6;
      n.x = Math.min(w - 30, Math.max(30, n.x)); n.y = Math.min(h - 40, Math.max(25, n.y));
    }
    this.draw();
    if (--this.ticks > 0) requestAnimationFrame(() => this.tick());
    else this.running = false;
  }

  draw() {
    for (const n of this.nodes.values()) n.el.setAttribute('transform', `translate(${n.x.toFixed(1)},${n.y.toFixed(1)})`);
    for (const l of this.links.values()) {
      const a = this.nodes.get(l.source), b = this.nodes.get(l.target);
      l.el.setAttribute('x1', a.x); l.el.setAttribute('y1', a.y);
      l.el.setAttribute('x2', b.x); l.el.setAttribute('y2', b.y);
      l.label.setAttribute('x', (a.x * 2 + b.x) / 3); l.label.setAttribute('y', (a.y * 2 + b.y) / 3 - 4);
    }
  }
}

window.Graph = Graph;
