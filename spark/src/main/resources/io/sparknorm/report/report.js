(function () {
  'use strict';
  var table = document.getElementById('channels');
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var filter = document.getElementById('filter');
  var flaggedOnly = document.getElementById('flagged-only');
  var shiftedOnly = document.getElementById('shifted-only');
  var SHIFT_FLAGS = ['shifted', 'mode-lost', 'mode-new', 'out-of-range'];
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input.flag-filter'));
  var heads = Array.prototype.slice.call(table.tHead.querySelectorAll('[data-sort]'));
  var shown = document.getElementById('shown-count');
  var search = rows.map(function (r) {
    return ('#' + r.dataset.channel + ' ' + r.dataset.label + ' ' + r.dataset.flags).toLowerCase();
  });
  var flags = rows.map(function (r) { return r.dataset.flags ? r.dataset.flags.split(' ') : []; });
  var state;

  function parse(hash) {
    var s = { q: '', flagged: false, shifted: false, flags: [], sort: '', desc: false };
    hash.replace(/^#/, '').split('&').forEach(function (part) {
      var i = part.indexOf('=');
      var key = i < 0 ? part : part.slice(0, i);
      var value = i < 0 ? '' : part.slice(i + 1);
      try { value = decodeURIComponent(value); } catch (e) { /* a malformed escape: keep the text as it is */ }
      if (key === 'flagged') { s.flagged = true; }
      if (key === 'shifted') { s.shifted = true; }
      if (key === 'flag') { s.flags = value.split(',').filter(Boolean); }
      if (key === 'q') { s.q = value; }
      if (key === 'sort') { s.desc = value.charAt(0) === '-'; s.sort = value.replace(/^-/, ''); }
    });
    return s;
  }

  function hashOf(s) {
    var parts = [];
    if (s.flagged) { parts.push('flagged'); }
    if (s.shifted) { parts.push('shifted'); }
    if (s.flags.length) { parts.push('flag=' + s.flags.join(',')); }
    if (s.q) { parts.push('q=' + encodeURIComponent(s.q)); }
    if (s.sort) { parts.push('sort=' + (s.desc ? '-' : '') + s.sort); }
    return parts.join('&');
  }

  function key(r, name) {
    if (name === 'label') { return r.dataset.label.toLowerCase(); }
    if (name === 'flags') { return r.dataset.flags ? -r.dataset.flags.split(' ').length : 0; }
    return parseFloat(r.getAttribute('data-' + name));
  }

  function sort() {
    var name = state.sort || 'channel';
    var sign = state.desc ? -1 : 1;
    var keyed = rows.map(function (r, i) { return { r: r, k: key(r, name), i: i }; });
    keyed.sort(function (a, b) {
      var an = a.k !== a.k, bn = b.k !== b.k;
      if (an || bn) { return an === bn ? a.i - b.i : (an ? 1 : -1); }
      if (a.k < b.k) { return -sign; }
      if (a.k > b.k) { return sign; }
      return a.i - b.i;
    });
    var fragment = document.createDocumentFragment();
    keyed.forEach(function (e) { fragment.appendChild(e.r); });
    tbody.appendChild(fragment);
    heads.forEach(function (th) {
      if (state.sort && th.dataset.sort === state.sort) {
        th.setAttribute('aria-sort', state.desc ? 'descending' : 'ascending');
      } else {
        th.removeAttribute('aria-sort');
      }
    });
  }

  function apply() {
    var q = state.q.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (r, i) {
      var f = flags[i];
      var ok = (!q || search[i].indexOf(q) >= 0) && (!state.flagged || f.length > 0) &&
        (!state.shifted || f.some(function (x) { return SHIFT_FLAGS.indexOf(x) >= 0; })) &&
        (!state.flags.length || state.flags.some(function (x) { return f.indexOf(x) >= 0; }));
      r.hidden = !ok;
      if (ok) { n++; }
    });
    shown.textContent = n + ' of ' + rows.length + ' channels shown';
    table.dataset.shown = n;
  }

  function show() {
    filter.value = state.q;
    flaggedOnly.checked = state.flagged;
    if (shiftedOnly) { shiftedOnly.checked = state.shifted; }
    boxes.forEach(function (b) { b.checked = state.flags.indexOf(b.value) >= 0; });
    sort();
    apply();
  }

  function changed() {
    var h = hashOf(state);
    if (location.hash.replace(/^#/, '') !== h) {
      history.replaceState(null, '', h ? '#' + h : location.pathname + location.search);
    }
  }

  filter.addEventListener('input', function () { state.q = filter.value; apply(); changed(); });
  flaggedOnly.addEventListener('change', function () { state.flagged = flaggedOnly.checked; apply(); changed(); });
  if (shiftedOnly) {
    shiftedOnly.addEventListener('change', function () { state.shifted = shiftedOnly.checked; apply(); changed(); });
  }
  // A pixel or a link to a channel: show its row (clearing a filter that hides it), scroll to it, mark it.
  function go(channel) {
    var row = document.getElementById('ch-' + channel);
    if (!row) { return; }
    if (row.hidden) { state = parse(''); show(); changed(); }
    rows.forEach(function (r) { r.classList.remove('target'); });
    row.classList.add('target');
    row.scrollIntoView({ block: 'center' });
  }
  Array.prototype.forEach.call(document.querySelectorAll('[data-goto]'), function (el) {
    el.addEventListener('click', function () { go(el.getAttribute('data-goto')); });
    el.addEventListener('keydown', function (e) { if (e.key === 'Enter') { go(el.getAttribute('data-goto')); } });
  });
  boxes.forEach(function (b) {
    b.addEventListener('change', function () {
      state.flags = boxes.filter(function (x) { return x.checked; }).map(function (x) { return x.value; });
      apply();
      changed();
    });
  });
  heads.forEach(function (th) {
    th.addEventListener('click', function () {
      var name = th.dataset.sort;
      state.desc = state.sort === name ? !state.desc : false;
      state.sort = name;
      sort();
      changed();
    });
  });
  document.getElementById('reset').addEventListener('click', function () { state = parse(''); show(); changed(); });
  window.addEventListener('hashchange', function () { state = parse(location.hash); show(); });
  state = parse(location.hash);
  show();
  document.body.dataset.ready = 'true';
}());
