// The tapegrad adapter under the name the peers' table lists first ('tapegrad'):
//   npm run build && ../shared/peers/run.sh bench/peers/tapegrad.mjs js-mini
export { default } from '../peer-adapter.mjs';
