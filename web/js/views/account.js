// Signing in and out in the header: POST /api/login, /api/logout, GET /api/me, and the
// "choose a new password" form (POST /api/password), in a modal <dialog>.
//
// Passwords only ever live in the password inputs and the JSON body of one POST: never
// in the URL (the forms use method="dialog" and the script sends the body), never in
// localStorage/sessionStorage, never logged. The inputs are emptied after every attempt
// and when the dialog closes. The session is an HttpOnly cookie the page cannot read.
//
// An account with a pending one-time password is treated as public by the server until
// it chooses its own, so the UI shows "new password needed" and nothing signed-in.

import { api } from '../lib/api.js';
import { $ } from '../lib/dom.js';
import { t, has, onChange } from '../lib/i18n.js';

export const MIN_PASSWORD_LENGTH = 12;
const PUBLIC = Object.freeze({ signed_in: false, role: 'public' });

/** The role the server applies to the caller: a pending one-time password is public. */
export function effectiveRole(me) {
  return me && me.signed_in && !me.must_change_password ? me.role : 'public';
}

/** The text for a failed sign-in (401 / 429 / network / other). */
export function signInErrorText(err) {
  if (err?.status === 401) return t('account.badCredentials');
  if (err?.status === 429) {
    const seconds = Number.isFinite(err.retryAfter) ? err.retryAfter : 15 * 60;
    return t('account.rateLimited', { count: Math.max(1, Math.ceil(seconds / 60)) });
  }
  if (err?.code === 'network') return t('error.network');
  return t('error.api', { message: err?.message || String(err) });
}

/** Client-side checks of a new password (the server checks again, and more). */
export function newPasswordProblem(next, repeat) {
  if ([...next].length < MIN_PASSWORD_LENGTH) return 'account.tooShort';
  if (next !== repeat) return 'account.mismatch';
  return null;
}

/**
 * Wires the header control and the dialog. `onRoleChange(role)` runs whenever the
 * effective role changes (sign-in, sign-out, password chosen, session ended), so the
 * views can re-query what they show.
 */
export function initAccount({ onRoleChange }) {
  const root = $('#account');
  const dialog = $('#account-dialog');
  const els = {
    who: $('#account-who', root),
    signin: $('#account-signin', root),
    change: $('#account-password', root),
    signout: $('#account-signout', root),
    status: $('#account-status', root),
    signinForm: $('#signin-form', dialog),
    username: $('#signin-username', dialog),
    password: $('#signin-password', dialog),
    signinError: $('#signin-error', dialog),
    passwordForm: $('#password-form', dialog),
    intro: $('#password-intro', dialog),
    pwUsername: $('#password-username', dialog),
    currentLabel: $('#password-current-label', dialog),
    current: $('#password-current', dialog),
    next: $('#password-new', dialog),
    repeat: $('#password-repeat', dialog),
    passwordError: $('#password-error', dialog),
    passwordCancel: $('#password-cancel', dialog),
  };
  let me = PUBLIC;
  let opener = null;
  let busy = false;

  const pending = () => !!(me.signed_in && me.must_change_password);
  const roleLabel = (role) => (has(`account.role.${role}`) ? t(`account.role.${role}`) : role);
  const who = () => t('account.who', { name: me.username, role: roleLabel(me.role) });
  /** Sets a translated text and its key (so a language switch re-translates it). */
  const setKey = (el, key) => {
    el.dataset.i18n = key;
    el.textContent = t(key);
  };

  function set(next) {
    const before = effectiveRole(me);
    me = next && next.signed_in ? next : PUBLIC;
    render();
    const after = effectiveRole(me);
    if (after !== before && onRoleChange) onRoleChange(after);
  }

  function render() {
    const signed = !!me.signed_in;
    root.dataset.state = !signed ? 'public' : pending() ? 'pending' : 'signed-in';
    els.who.hidden = !signed;
    els.who.textContent = !signed ? '' : pending() ? t('account.whoPending', { name: me.username }) : who();
    els.signin.hidden = signed;
    els.change.hidden = !signed;
    setKey(els.change, pending() ? 'account.choosePassword' : 'account.changePassword');
    els.signout.hidden = !signed;
  }

  function announce(text) {
    els.status.textContent = text;
  }

  function showError(box, text, field) {
    box.textContent = text;
    box.hidden = false;
    for (const input of dialog.querySelectorAll('input')) input.removeAttribute('aria-invalid');
    if (field) {
      field.setAttribute('aria-invalid', 'true');
      field.focus();
    }
  }

  function clearErrors() {
    for (const box of [els.signinError, els.passwordError]) {
      box.textContent = '';
      box.hidden = true;
    }
    for (const input of dialog.querySelectorAll('input')) input.removeAttribute('aria-invalid');
  }

  function emptyPasswords() {
    for (const input of dialog.querySelectorAll('input[type="password"]')) input.value = '';
  }

  function showForm(mode) {
    clearErrors();
    els.signinForm.hidden = mode !== 'signin';
    els.passwordForm.hidden = mode !== 'password';
    dialog.setAttribute('aria-labelledby', mode === 'signin' ? 'signin-title' : 'password-title');
    if (mode === 'password') {
      els.pwUsername.value = me.username || '';
      setKey(els.intro, pending() ? 'account.oneTimeIntro' : 'account.changeIntro');
      setKey(els.currentLabel, pending() ? 'account.oneTimePassword' : 'account.currentPassword');
      setKey(els.passwordCancel, pending() ? 'account.signOut' : 'account.cancel');
      els.current.focus();
    } else {
      (els.username.value ? els.password : els.username).focus();
    }
  }

  function open(mode, from) {
    opener = from;
    from.setAttribute('aria-expanded', 'true');
    if (!dialog.open) dialog.showModal();
    showForm(mode);
  }

  function close() {
    if (dialog.open) dialog.close();
  }

  dialog.addEventListener('close', () => {
    emptyPasswords();
    clearErrors();
    for (const b of [els.signin, els.change]) b.setAttribute('aria-expanded', 'false');
    // Back to the control that opened the dialog, or to whichever is shown now.
    const fallback = !me.signed_in ? els.signin : pending() ? els.change : els.signout;
    const target = opener && !opener.hidden ? opener : fallback;
    opener = null;
    if (target) target.focus();
  });
  dialog.querySelectorAll('[data-close]').forEach((b) => b.addEventListener('click', close));
  els.signin.addEventListener('click', () => open('signin', els.signin));
  els.change.addEventListener('click', () => open('password', els.change));
  els.signout.addEventListener('click', () => signOut());
  els.passwordCancel.addEventListener('click', () => (pending() ? signOut() : close()));

  els.signinForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (busy) return;
    clearErrors();
    const username = els.username.value.trim();
    if (!username) return showError(els.signinError, t('account.missingFields'), els.username);
    if (!els.password.value) return showError(els.signinError, t('account.missingFields'), els.password);
    busy = true;
    els.signinForm.setAttribute('aria-busy', 'true');
    try {
      const answer = await api.login(username, els.password.value);
      emptyPasswords();
      set(answer);
      if (pending()) {
        showForm('password');
        announce(t('account.whoPending', { name: me.username }));
      } else {
        close();
        announce(t('account.signedInAs', { name: me.username, role: roleLabel(me.role) }));
      }
    } catch (err) {
      els.password.value = '';
      showError(els.signinError, signInErrorText(err), els.password);
    } finally {
      busy = false;
      els.signinForm.removeAttribute('aria-busy');
    }
  });

  els.passwordForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (busy) return;
    clearErrors();
    if (!els.current.value) return showError(els.passwordError, t('account.missingCurrent'), els.current);
    const problem = newPasswordProblem(els.next.value, els.repeat.value);
    if (problem) return showError(els.passwordError, t(problem), problem === 'account.mismatch' ? els.repeat : els.next);
    busy = true;
    els.passwordForm.setAttribute('aria-busy', 'true');
    try {
      const answer = await api.changePassword(els.current.value, els.next.value);
      emptyPasswords();
      close();
      set(answer);
      announce(t('account.passwordChanged', { name: me.username, role: roleLabel(me.role) }));
    } catch (err) {
      if (err?.status === 401 && err.code === 'bad_credentials') {
        els.current.value = '';
        showError(els.passwordError, t('account.wrongCurrent'), els.current);
      } else if (err?.status === 401) {
        // The session ended meanwhile: signed out.
        emptyPasswords();
        set(PUBLIC);
        showForm('signin');
        showError(els.signinError, t('account.sessionEnded'), els.username);
      } else if (err?.status === 422) {
        showError(els.passwordError, t('account.refused', { message: err.message }), els.next);
      } else {
        showError(els.passwordError, signInErrorText(err), null);
      }
    } finally {
      busy = false;
      els.passwordForm.removeAttribute('aria-busy');
    }
  });

  async function signOut() {
    try {
      await api.logout();
    } catch (err) {
      const text = signInErrorText(err);
      if (dialog.open) showError(els.passwordError, text, null);
      announce(text);
      return;
    }
    close();
    set(PUBLIC);
    announce(t('account.signedOut'));
    els.signin.focus();
  }

  /** Asks the server who we are (a session may have ended while the tab was away). */
  async function check() {
    try {
      set(await api.me());
    } catch {
      /* keep what is shown; the next request will tell */
    }
  }

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && !dialog.open && !root.hidden) check();
  });
  onChange(() => render());

  return {
    /** The first answer of GET /api/me (null: the server has no accounts: no control). */
    start(first) {
      if (first === null) {
        root.hidden = true;
        return;
      }
      root.hidden = false;
      // The first data requests carried the cookie already: no re-query here.
      me = first && first.signed_in ? first : PUBLIC;
      render();
      // A pending one-time password: offer the form straight away.
      if (pending()) open('password', els.change);
    },
    get me() { return me; },
    role: () => effectiveRole(me),
  };
}
