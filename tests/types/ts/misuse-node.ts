// Misuse of Node's default export (the API object, not a function).
import steadfast from "steadfast";

steadfast(); // expect: TS2349
steadfast.createClient({ retries: 3 }); // expect: TS2353

import inlined from "steadfast/inline";

inlined(); // expect: TS2349
inlined.createClient({ retries: 3 }); // expect: TS2353
