// Test runs (dumm-test through /dumm/api/test-runs): scenario directories on the Dumm host run in
// the background, the runs kept with their verdict counts, and a run's results on a click.
// Without dumm-test the REST API answers 404 TESTS_UNAVAILABLE and the panel says so.
'use strict';

class TestRuns {
  constructor(box, api, act) {
    Object.assign(this, {box, api, act});
    this.list = box.querySelector('#test-runs');
    this.out = box.querySelector('#test-results');
    box.querySelector('#test-form').addEventListener('submit', e => { e.preventDefault(); this.start(); });
    this.timer = null;
  }

  async refresh() {
    let runs;
    try {
      runs = await this.api('GET', '/test-runs');
    } catch (e) {
      this.box.dataset.available = 'false';
      this.list.replaceChildren(li(e.reason === 'TESTS_UNAVAILABLE' ? 'test runs are not available (feature dumm-test)' : 'test runs: ' + e.message));
      return;
    }
    this.box.dataset.available = 'true';
    this.list.replaceChildren(...runs.slice().reverse().map(r => this.row(r)));
    if (runs.some(r => r.state === 'RUNNING') && !this.timer) {
      this.timer = setTimeout(() => { this.timer = null; this.refresh(); }, 1000);
    }
  }

  row(run) {
    const item = li('#' + run.id + ' ' + run.paths.join(' ') + ': ' + (run.state === 'DONE'
        ? run.passed + ' passed, ' + run.failed + ' failed' : run.state.toLowerCase() + (run.error ? ' ' + run.error : '')) + ' ');
    item.dataset.run = run.id;
    item.dataset.state = run.state;
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = 'Results';
    b.addEventListener('click', () => this.show(run.id));
    item.appendChild(b);
    return item;
  }

  async show(id) {
    const r = await this.act('test run ' + id, () => this.api('GET', '/test-runs/' + encodeURIComponent(id)));
    if (!r) return;
    this.out.dataset.run = id;
    this.out.textContent = r.results.map(s => s.verdict + ' ' + s.category + '/' + s.name
        + (s.failure ? '\n    ' + s.failure : '')).join('\n') || r.progress.join('\n') || '(no results yet)';
  }

  async start() {
    const paths = this.box.querySelector('#test-paths').value.trim().split(/\s+/).filter(Boolean);
    if (!paths.length) return;
    const guestPrefix = this.box.querySelector('#test-prefix').value.trim();
    const r = await this.act('test run ' + paths.join(' '), () => this.api('POST', '/test-runs', {paths, guestPrefix}));
    if (r) this.refresh();
  }
}

function li(text) {
  const e = document.createElement('li');
  e.textContent = text;
  return e;
}

window.TestRuns = TestRuns;
