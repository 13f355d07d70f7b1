// Labs (dumm-lab through /dumm/api/labs): the labs applied, with their devices, guests and
// states; a lab directory on the Dumm host planned (dry run) or applied by its path; a lab
// destroyed. Without dumm-lab the REST API answers 404 LABS_UNAVAILABLE and the panel says so.
'use strict';

class Labs {
  constructor(box, api, act) {
    Object.assign(this, {box, api, act});
    this.list = box.querySelector('#labs');
    this.plan = box.querySelector('#lab-plan');
    this.path = box.querySelector('#lab-path');
    box.querySelector('#lab-form').addEventListener('submit', e => { e.preventDefault(); this.apply(false); });
    box.querySelector('#lab-dry-run').addEventListener('click', () => this.apply(true));
  }

  async refresh() {
    let labs;
    try {
      labs = await this.api('GET', '/labs');
    } catch (e) {
      this.box.dataset.available = 'false';
      this.list.replaceChildren(item(e.reason === 'LABS_UNAVAILABLE' ? 'labs are not available (feature dumm-lab)' : 'labs: ' + e.message));
      return;
    }
    this.box.dataset.available = 'true';
    this.list.replaceChildren(...labs.map(l => this.row(l)));
    if (!labs.length) this.list.appendChild(item('no labs'));
  }

  row(lab) {
    const li = item('');
    li.dataset.lab = lab.name;
    const head = document.createElement('div');
    head.textContent = lab.name + ' (' + lab.devices.length + ' devices, ' + lab.segments.length + ' segments) ';
    head.title = lab.source;
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = 'Destroy';
    b.addEventListener('click', () => {
      if (confirm('Destroy lab ' + lab.name + ' and its ' + lab.devices.length + ' guests?')) {
        this.act('destroy lab ' + lab.name, () => this.api('DELETE', '/labs/' + encodeURIComponent(lab.name)));
      }
    });
    head.appendChild(b);
    li.appendChild(head);
    const ul = document.createElement('ul');
    for (const d of lab.devices) {
      const dl = item(d.name + ' → ' + d.guest + ' ' + d.state + ' ' + d.links.map(k => 'eth' + k.index + ':' + k.cd).join(' '));
      dl.dataset.device = d.name;
      dl.dataset.state = String(d.state).toUpperCase();
      ul.appendChild(dl);
    }
    li.appendChild(ul);
    return li;
  }

  async apply(dryRun) {
    const path = this.path.value.trim();
    if (!path) return;
    const r = await this.act((dryRun ? 'plan' : 'apply') + ' lab ' + path,
        () => this.api('POST', '/labs', {path, dryRun}));
    if (!r) return;
    const p = r.plan;
    this.plan.textContent = (dryRun ? 'plan of ' : 'applied ') + p.lab + ':\n'
        + (p.changes.map(c => c.line).join('\n') || '(nothing to do)')
        + (p.warnings.length ? '\n' + p.warnings.map(w => 'warning: ' + w).join('\n') : '');
    this.refresh();
  }
}

function item(text) {
  const li = document.createElement('li');
  li.textContent = text;
  return li;
}

window.Labs = Labs;
