// How requests' kinds, presences and agenda statuses are named, from the server's one definition
// (GET /api/vocabulary.json; server/domain/floor.py KINDS and PRESENCES, server/domain/agenda.py
// STATUSES), so that the pages, the record and the server's own messages say the same thing.
import vocabulary from "/api/vocabulary.json" with { type: "json" };
import { t } from "./i18n.js";

// The names arrive in English; each is a msgid of the pages' catalogues (scripts/catalogues.py
// adds the vocabulary's words to them), so the page shows them in its language.

const capitalised = (text) => text.charAt(0).toUpperCase() + text.slice(1);
const translated = (table) => Object.freeze(Object.fromEntries(
  Object.entries(table).map(([key, name]) => [key, t(name)])));
const pick = (table, form) => Object.freeze(Object.fromEntries(
  Object.entries(table).map(([key, forms]) => [key, t(forms[form])])));

/** "to speak", "point of order", "right of reply": a request's kind in a list or a tag. */
export const KIND_LABELS = pick(vocabulary.kinds, "label");
/** "to speak", "on a point of order", "for a right of reply": after "your request". */
export const KIND_ASKING = pick(vocabulary.kinds, "asking");
/** "speech", "point of order", "right of reply": a kind as the record's tables name it. */
export const KIND_NOUNS = pick(vocabulary.kinds, "noun");
/** "in the room", "remote". */
export const PRESENCE_LABELS = translated(vocabulary.presences);
/** "under discussion", …, as the record writes them. */
export const STATUS_NAMES = translated(vocabulary.statuses);
/** "Under discussion", …, for a status on its own (a label, an option). */
export const STATUS_LABELS = Object.freeze(Object.fromEntries(
  Object.entries(vocabulary.statuses).map(([key, name]) => [key, capitalised(t(name))])));
/** "not yet sorted", "recommendation", "statement": a proposal's kind. */
export const PROPOSAL_KINDS = translated(vocabulary.proposal_kinds);
/** "not yet discussed", "agreed", "divergent views", …: what became of a proposal. */
export const PROPOSAL_STATUSES = translated(vocabulary.proposal_statuses);
