// The static mirror's search (/search.html): searches the mirror's Pagefind index
// (/pagefind/N/, written by `cablegate build-site`) in the reader's browser. The page's form
// sends q and the filters in its URL, so a search is a link; this script runs it.
// Cable text is untrusted: every string is put in the page as text, never as HTML (an
// excerpt's <mark> elements are rebuilt).

const PER_PAGE = 20;
const FILTERS = ["tag", "origin", "classification", "year"];
const FIELD = /(?:^|\s)(tag|origin|classification|year|created):(?:"([^"]*)"|(\S+))/gi;

const form = document.getElementById("search");
const input = document.getElementById("q");
const status = document.getElementById("status");
const hits = document.getElementById("hits");
const more = document.getElementById("more");

function say(text) {
  status.textContent = text;
}

// The query's words and "phrases", and its field:value filters (as the served site's search
// writes them; created:YYYY is the year).
function parse(q) {
  const filters = {};
  const words = q.replace(FIELD, (_, field, quoted, bare) => {
    const name = field.toLowerCase() === "created" ? "year" : field.toLowerCase();
    filters[name] = quoted ?? bare;
    return " ";
  });
  return { words: words.replace(/\s+/g, " ").trim(), filters };
}

function element(name, className, text) {
  const node = document.createElement(name);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Pagefind's excerpt: HTML, the record's words escaped with <mark>...</mark> around the words
// found. Parsed inert (DOMParser runs no script, loads nothing), and only its text and marks
// are copied into the page.
function excerpt(html) {
  const p = element("p", "snippet");
  const parsed = new DOMParser().parseFromString(html, "text/html").body;
  for (const node of parsed.childNodes) {
    const text = node.textContent;
    if (text) p.append(node.nodeName === "MARK" ? element("mark", "", text) : document.createTextNode(text));
  }
  return p;
}

function hit(data) {
  const meta = data.meta || {};
  const article = element("article", "hit");
  const h2 = element("h2");
  const link = element("a", "", meta.id || data.url);
  link.href = data.url;
  h2.append(link);
  if (meta.title && meta.title !== meta.id) h2.append(document.createTextNode(": " + meta.title));
  article.append(h2);
  const filters = data.filters || {};
  const facts = [meta.date, ...(filters.classification || []), ...(filters.origin || [])];
  article.append(element("p", "meta", facts.filter(Boolean).join(" · ")));
  if (data.excerpt) article.append(excerpt(data.excerpt));
  return article;
}

function fill(select, counts, chosen) {
  const values = Object.keys(counts).sort();
  if (chosen && !values.includes(chosen)) values.unshift(chosen);
  for (const value of values) {
    const option = element("option", "", counts[value] ? `${value} (${counts[value].toLocaleString("en")})` : value);
    option.value = value;
    option.selected = value === chosen;
    select.append(option);
  }
}

async function main() {
  const params = new URLSearchParams(location.search);
  const q = params.get("q") || "";
  input.value = q;
  const parsed = parse(q);
  const filters = {};
  for (const name of FILTERS) {
    const value = params.get(name) || parsed.filters[name] || "";
    if (value) filters[name] = value;
  }
  // One filter alone is one of the mirror's listings (tag:PTER is /tag/PTER_0.html): go
  // there. Pagefind would load every word of its index to list those cables, which a large
  // mirror's index is too big for.
  const chosen = Object.entries(filters);
  if (!parsed.words && chosen.length === 1) {
    const [name, value] = chosen[0];
    const listing = (JSON.parse(form.dataset.listings || "{}")[name] || {})[value];
    if (listing) {
      say("Opening the listing of " + value + "…");
      location.replace(listing);
      return;
    }
  }
  let pagefind;
  try {
    // The index is in parts (pagefind/index.json lists them), searched as one.
    const index = await (await fetch("/pagefind/index.json")).json();
    const parts = Object.keys(index.parts).sort((a, b) => a - b);
    if (!parts.length) {
      say("This mirror has no cables to search.");
      return;
    }
    pagefind = await import(`/pagefind/${parts[0]}/pagefind.js`);
    await pagefind.options({ baseUrl: "/", excerptLength: 40 });
    for (const part of parts.slice(1)) await pagefind.mergeIndex(`/pagefind/${part}/`, { baseUrl: "/" });
  } catch (error) {
    say("The search index of this mirror could not be loaded (is it served over HTTP, with its pagefind/ folder?).");
    throw error;
  }
  const counts = await pagefind.filters();
  for (const name of FILTERS) fill(document.getElementById(`filter-${name}`), counts[name] || {}, filters[name]);
  document.getElementById("filters").disabled = false;
  if (!parsed.words && !Object.keys(filters).length) {
    say(q ? "Search for words or a \"phrase\", or choose a filter." : "");
    return;
  }
  say("Searching…");
  const found = await pagefind.search(parsed.words || null, { filters });
  const results = found ? found.results : [];
  const total = results.length;
  let shown = 0;
  async function next() {
    more.disabled = true;
    const page = await Promise.all(results.slice(shown, shown + PER_PAGE).map((r) => r.data()));
    hits.append(...page.map(hit));
    shown += page.length;
    more.hidden = shown >= total;
    more.disabled = false;
    const count = `${total.toLocaleString("en")} cable${total === 1 ? "" : "s"} found`;
    say(shown < total ? `${count}; ${shown.toLocaleString("en")} shown.` : `${count}.`);
  }
  more.addEventListener("click", next);
  await next();
}

if (form) {
  main().catch((error) => {
    if (!status.textContent || status.textContent === "Searching…") say("The search failed: " + error);
    console.error(error);
  });
}
