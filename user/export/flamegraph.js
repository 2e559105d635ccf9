(function () {
'use strict';
var svg = document.documentElement;
var W = +svg.getAttribute('width'), PAD = +svg.getAttribute('data-pad');
var CW = +svg.getAttribute('data-cw'), MINW = +svg.getAttribute('data-minw');
var total = +svg.getAttribute('data-total');
var details = document.getElementById('details');
var matched = document.getElementById('matched');
var reset = document.getElementById('reset');
var input = document.getElementById('search');
var hint = details.textContent, nodes = [], byG = new Map(), root = null;
document.querySelectorAll('#frames > g').forEach(function (g) {
  var f = { g: g, r: g.querySelector('rect'), t: g.querySelector('text'),
    n: g.getAttribute('data-n'), o: +g.getAttribute('data-o'),
    v: +g.getAttribute('data-v'), d: +g.getAttribute('data-d'),
    tip: g.querySelector('title').textContent.split('\n').join(' | ') };
  nodes.push(f);
  byG.set(g, f);
  if (f.d === 0) root = f;
});
function size(b) {
  var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'], i = 0;
  while (Math.abs(b) >= 1024 && i < u.length - 1) { b /= 1024; i++; }
  return (i ? b.toFixed(1) : String(b)) + ' ' + u[i];
}
function label(f, w) {
  var fits = Math.floor((w - 6) / CW);
  if (fits < 3) return '';
  return f.n.length <= fits ? f.n : f.n.slice(0, fits - 2) + '..';
}
function place(f, x, w, ancestor) {
  f.g.style.display = w < MINW ? 'none' : '';
  f.g.classList.toggle('anc', ancestor);
  f.r.setAttribute('x', x.toFixed(2));
  f.r.setAttribute('width', w.toFixed(2));
  f.t.setAttribute('x', (x + 3).toFixed(2));
  f.t.textContent = label(f, w);
}
function zoom(z) {
  var scale = (W - 2 * PAD) / z.v;
  nodes.forEach(function (f) {
    var inside = f.o >= z.o && f.o + f.v <= z.o + z.v;
    if (f.d >= z.d && inside)
      place(f, PAD + (f.o - z.o) * scale, f.v * scale, false);
    else if (f.d < z.d && f.o <= z.o && f.o + f.v >= z.o + z.v)
      place(f, PAD, W - 2 * PAD, true);
    else
      f.g.style.display = 'none';
  });
  reset.style.visibility = z === root ? 'hidden' : 'visible';
}
function compile(term) {
  try { return new RegExp(term, 'i'); } catch (e) {
    var low = term.toLowerCase();
    return { test: function (s) { return s.toLowerCase().indexOf(low) >= 0; } };
  }
}
function search(term) {
  var re = term ? compile(term) : null, hits = [], sum = 0, end = -1;
  nodes.forEach(function (f) {
    var m = re !== null && re.test(f.n);
    f.g.classList.toggle('m', m);
    if (m) hits.push(f);
  });
  if (!re) { matched.textContent = ''; return; }
  // Nested matches count once: add the union of their byte ranges.
  hits.sort(function (a, b) { return a.o - b.o || a.d - b.d; });
  hits.forEach(function (f) {
    var from = Math.max(f.o, end);
    if (f.o + f.v > from) { sum += f.o + f.v - from; end = f.o + f.v; }
  });
  matched.textContent = 'Matched ' + hits.length +
    (hits.length === 1 ? ' frame: ' : ' frames: ') + size(sum) +
    ' (' + (total ? 100 * sum / total : 0).toFixed(2) + '% of all)';
}
svg.addEventListener('click', function (e) {
  var g = e.target.closest ? e.target.closest('#frames > g') : null;
  if (g) zoom(byG.get(g));
  else if (e.target === reset && root) zoom(root);
});
svg.addEventListener('mouseover', function (e) {
  var g = e.target.closest ? e.target.closest('#frames > g') : null;
  details.textContent = g ? byG.get(g).tip : hint;
});
input.addEventListener('input', function () { search(input.value); });
document.addEventListener('keydown', function (e) {
  if ((e.ctrlKey || e.metaKey) && e.key === 'f') {
    e.preventDefault();
    input.focus();
  } else if (e.key === 'Escape') {
    input.value = '';
    search('');
    if (root) zoom(root);
  }
});
var q = new URLSearchParams(location.search).get('s');
if (q) { input.value = q; search(q); }
})();
