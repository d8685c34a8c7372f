/** What routes that answer the page's form posts (the window without JavaScript) need from the app. */

import type { Context } from "hono";

/** The app's form handling, shared by the file and room routes. */
export interface PageRoutesOptions {
  /** The form fields of a page post once its session is checked, or the response refusing it. */
  formOf(c: Context): Promise<{ session: string; form: FormData } | Response>;
  /** The chat page again, on conversation `with`, with an optional notice. */
  page(
    c: Context,
    session: string,
    view: { with?: string; notice?: string; status?: 200 | 400 | 404 | 409 | 500 },
  ): Promise<Response>;
  /** True the first time a form's nonce is posted in a session (a reload posts it again). */
  firstSubmission(session: string, nonce: string): Promise<boolean>;
}
