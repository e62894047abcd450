/* problems.c -- the configuration problems every integration reports, as data: the one table
 * that Python (pylon_idv._problems(), for Django's checks, Flask and Jinja2) and Lua
 * (idv._problems(), for pylon_idv.openresty) read. Ids: E0xx errors (the integration does not
 * run), W0xx warnings. Placeholders, filled by the integration:
 *   {setting}   the setting as that framework names it (PYLON_IDV_APP_ID, option app_id)
 *   {env}       an environment variable's name;   {where}  where a secret was read
 *   {k}         a previous secret's place (1, 2, ...); {reason} the core's words for a bad secret
 *   {generate}  the command that makes a secret on that platform
 *   {env_note}, {env_fix}  what that platform adds about its environment (nginx's `env` lines)
 *   {example}, {detail}, {paths}, {policy}, {blocked}, {helper}  as each entry shows.
 * Nothing here allocates or fails. */
#include "internal.h"

static const pylon_idv_problem problems[] = {
    { "secret_missing", "E001",
      "the environment variable {env} is not set or is empty{env_note}: the identity secret "
      "is needed to sign emails.",
      "set {env} to the identity secret from Pylon's settings (make one with: {generate})"
      "{env_fix}." },
    { "secret_malformed", "E002",
      "{where} is not a valid identity secret ({reason}).",
      "it must be the hex digits of the identity secret from Pylon's settings (normally 64, "
      "no quotes, no spaces inside); make one with: {generate}." },
    { "previous_malformed", "E003",
      "previous secret #{k} in {where} is not a valid identity secret ({reason}).",
      "it must be the hex digits of an identity secret from Pylon's settings (normally 64, no "
      "quotes, no spaces inside); several previous secrets are separated by commas." },
    { "previous_space", "E003",
      "previous secret #{k} in {where} has whitespace inside: previous secrets are separated "
      "by commas, and one secret holds no space.",
      "separate the previous secrets with commas: OLD1,OLD2 (spaces around an entry are "
      "ignored; none may stand inside one)." },
    { "app_id_missing", "E004",
      "{setting} is not set: the widget needs your Pylon app id.",
      "set {setting} to the app id from Pylon's chat widget settings." },
    { "app_id_malformed", "E005",
      "{setting} must be a string of letters, digits, '_' and '-'.",
      "set {setting} to the app id exactly as Pylon shows it." },
    { "env_name", "E006",
      "{setting} must be the name of an environment variable (letters, digits and '_'), not "
      "a secret.",
      "set {setting} to a variable name such as \"{example}\", never to the secret itself." },
    { "var_name", "E006",
      "{setting} must be the name of a variable (letters, digits and '_').",
      "set {setting} to a variable name such as \"{example}\"." },
    { "mode", "E006",
      "{setting} must be \"data\" or \"inline\".",
      "set {setting} to \"data\" (pylon-chat.js from your origin, no inline script) or "
      "\"inline\" (inline scripts, with the CSP nonce when there is one)." },
    { "script_url", "E006",
      "{setting} must be a non-empty URL with no space or control character.",
      "set {setting} to where pylon-chat.js is served, or leave it unset." },
    { "tables", "E006",
      "{setting} must be a table.",
      "{example}" },
    { "removed", "E006",
      "{setting} is gone: {detail}",
      "remove {setting}." },
    { "fields", "E006",
      "the fields cannot be rendered: {detail}.",
      "use setting names other than email and email_hash, and string, boolean or number "
      "values." },
    { "hook_import", "E007",
      "{setting} names a hook that cannot be imported ({detail}).",
      "set {setting} to the dotted path of a function, e.g. \"myapp.pylon.chat_fields\", "
      "whose module imports cleanly." },
    { "hook_type", "E007",
      "{setting} must be a callable or the dotted path of one.",
      "set {setting} to a function (or \"package.module.function\")." },
    { "script_missing", "E008",
      "pylon-chat.js was not found (looked at: {paths}).",
      "set {setting} to the path of pylon-chat.js (the file ships with pylon_idv)." },
    { "config_name", "E009",
      "a configuration name must be 1 to 64 letters, digits, '_', '.' or '-'.",
      "name it like \"default\", \"shop\" or \"support.eu\"." },
    { "async_hook", "E010",
      "{setting} is an async function, but {where} renders templates synchronously: it "
      "cannot await it.",
      "make {setting} a plain (sync) function, or render with an async engine (a Jinja2 "
      "Environment with enable_async=True)." },
    { "no_static_app", "W001",
      "{setting} is \"data\" but nothing serves pylon-chat.js: {detail}",
      "{example}" },
    { "secret_length", "W002",
      "the environment variable {env} holds a secret of {detail} hex digits; Pylon issues 64: "
      "a secret pasted in part signs hashes the widget rejects.",
      "copy the whole identity secret from Pylon's settings (64 hex digits)." },
    { "csp_blocks", "W003",
      "{policy} blocks the chat widget in {directive}: {blocked}.",
      "build {policy} with {helper}, or add the sources Pylon lists "
      "(pylon_idv.csp_sources())." },
    { "static_url", "W004",
      "{setting} is \"data\": pages load pylon-chat.js from STATIC_URL, and with DEBUG off "
      "nothing in Django serves static files under this server.",
      "serve collectstatic's output at STATIC_URL (nginx, WhiteNoise), or add "
      "path(\"_pylon_idv/\", include(\"pylon_idv.django.urls\")) to your URLs so that Django "
      "serves it, or set PYLON_IDV_SCRIPT_URL." },
};

const pylon_idv_problem *pylon_idv_problems(size_t *count)
{
    if (count != NULL) *count = sizeof problems / sizeof problems[0];
    return problems;
}
