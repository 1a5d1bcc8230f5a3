// The review panel: the tenant's invoices waiting for review (/api/v1/reviews), the fields extraction read
// beside inputs to correct them, and save = POST /api/v1/invoices/{id}/review (published as an
// InvoiceReviewed event; the review stage stores it). Uses app.js's `state`, `api`, `headers`, `query`, `$`.
"use strict";

const reviews = { fields: [], items: [] };

async function loadReviews() {
  const box = $("review-list");
  try {
    const q = await api("/api/v1/reviews" + query({ tenant: state.tenant }));
    reviews.fields = q.fields;
    reviews.items = q.items;
    box.replaceChildren(...q.items.map((it) => {
      const li = document.createElement("li");
      li.dataset.invoice = it.invoice_id;
      li.textContent = `${it.invoice_id}  ${Number(it.score).toFixed(2)}  ${(it.reasons || []).map((r) => r.code).join(", ")}`;
      li.addEventListener("click", () => openReview(it));
      return li;
    }));
    $("review-count").textContent = q.items.length ? `(${q.items.length})` : "(none waiting)";
  } catch (error) {
    box.replaceChildren(Object.assign(document.createElement("li"), { className: "error", textContent: error.message }));
  }
}

function openReview(it) {
  const form = $("review-form");
  const rows = reviews.fields.map((name) => {
    const tr = document.createElement("tr");
    const label = document.createElement("td"); label.textContent = name;
    const read = document.createElement("td"); read.textContent = it.fields[name] ?? "-";
    const cell = document.createElement("td");
    const input = Object.assign(document.createElement("input"), { name, value: it.fields[name] ?? "" });
    input.dataset.read = it.fields[name] ?? "";
    input.setAttribute("aria-label", name);
    cell.append(input);
    tr.append(label, read, cell);
    return tr;
  });
  $("review-fields").replaceChildren(...rows);
  form.dataset.invoice = it.invoice_id;
  $("review-title").textContent = it.invoice_id;
  $("review-result").textContent = "";
  form.hidden = false;
}

async function saveReview(event) {
  event.preventDefault();
  const form = $("review-form");
  const corrections = {};
  for (const input of $("review-fields").querySelectorAll("input")) {
    const value = input.value.trim();
    if (value && value !== input.dataset.read) corrections[input.name] = value;  // unchanged fields were right
  }
  const body = { corrections, decision: $("review-decision").value };
  if (state.tenant) body.tenant = state.tenant;
  if ($("review-reviewer").value.trim()) body.reviewer = $("review-reviewer").value.trim();
  const response = await fetch("/api/v1/invoices/" + encodeURIComponent(form.dataset.invoice) + "/review", {
    method: "POST", headers: { ...headers(), "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) {
    $("review-result").className = "error";
    $("review-result").textContent = response.status + " " + text.slice(0, 300);
    return;
  }
  $("review-result").className = "";
  $("review-result").textContent = `saved (${Object.keys(corrections).length} correction(s), ${body.decision})`;
  form.hidden = true;
  setTimeout(loadReviews, 1500);  // the stage stores it in a moment; then it leaves the queue
}

$("review-form").addEventListener("submit", saveReview);
$("review-reload").addEventListener("click", loadReviews);
$("login").addEventListener("submit", () => setTimeout(loadReviews, 0));
if (state.token) loadReviews();
