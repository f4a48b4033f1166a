// The web build's default export is `init`, not the API object.
import init from "steadfast";

init.createClient(); // expect: TS2339
init(null); // expect: TS2345

import initInline from "steadfast/inline";

initInline.createClient(); // expect: TS2339
initInline(null); // expect: TS2345
