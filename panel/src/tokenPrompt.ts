// Asks for a token when the service has tokens configured. It is kept in
// this tab's sessionStorage only (api.ts), never in a cookie or localStorage.
import { byId } from './dom.ts';

export function askForToken(problem: string | null): Promise<string> {
  const dialog = byId('token-dialog', HTMLDialogElement);
  const form = byId('token-form', HTMLFormElement);
  const input = byId('token-input', HTMLInputElement);
  const error = byId('token-error', HTMLElement);
  error.textContent = problem ?? '';
  error.hidden = problem === null;
  input.value = '';
  // Nothing can be shown without a token: the dialog stays until one is given.
  dialog.addEventListener('cancel', (event) => event.preventDefault());
  dialog.showModal();
  return new Promise((resolve) => {
    const submit = (event: SubmitEvent): void => {
      event.preventDefault();
      const value = input.value.trim();
      if (!value) return;
      form.removeEventListener('submit', submit);
      dialog.close();
      resolve(value);
    };
    form.addEventListener('submit', submit);
  });
}
