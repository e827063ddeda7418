// The marker lives in the plugin API so that plugins can use it; the runtime re-exports it here.
export { SECRET_KEYWORD, Secret, isSecretSchema, type TSecret } from '../api/schema.js';
