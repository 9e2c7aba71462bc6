// Fixed vocabularies of the UI: sector colours, survivor-need filters, service
// languages, access features, results per sector, time zones, the region's bounds and
// the view names.

// Okabe–Ito colour-blind-safe palette, one colour per sector (black is the selected place).
export const SECTOR_COLORS = {
  health: '#D55E00', // vermillion
  psychosocial: '#CC79A7', // reddish purple
  police: '#0072B2', // blue
  shelter: '#009E73', // bluish green
  legal: '#E69F00', // orange
  hotline: '#56B4E9', // sky blue
  perpetrator_programme: '#F0E442', // yellow
};
export const FALLBACK_COLOR = '#999999';
export const DEFAULT_SECTORS = ['health', 'psychosocial', 'police', 'shelter', 'legal', 'hotline', 'perpetrator_programme'];
// Sectors the caseworker's survivor search leaves out (the server answers them only when
// named, see nearest-local.js): they are listed in the planner and donor views only.
export const NOT_FOR_SURVIVORS = ['perpetrator_programme'];

export function sectorColor(sector) {
  return SECTOR_COLORS[sector] || FALLBACK_COLOR;
}

// Survivor-need filters: URL code -> /api/nearest parameters.
// `cmr_pep` only narrows the health sector (see views/caseworker.js).
export const FILTERS = [
  { code: 'cmr_pep', healthOnly: { services: 'cmr_pep' } },
  { code: '24_7', params: { open_24_7: 'true' } },
  { code: 'female', params: { female_staff: 'true' } },
  { code: 'child', params: { child_friendly: 'true' } },
  { code: 'wheelchair', params: { wheelchair_access: 'true' } },
  { code: 'free', params: { free_of_charge: 'true' } },
  { code: 'no_police', params: { no_police_report_required: 'true' } },
];
export const FILTER_CODES = FILTERS.map((f) => f.code);

// Languages a service may speak (facility `languages[]`).
export const SERVICE_LANGUAGES = ['ru', 'kk', 'ky', 'tg', 'tk', 'uz', 'kaa', 'en'];

// Boolean facility properties shown as access features.
export const FEATURE_FLAGS = [
  'female_staff', 'child_friendly', 'wheelchair_access', 'free_of_charge', 'no_police_report_required',
];

export const K_CHOICES = [1, 3, 5];
export const DEFAULT_K = 3;

// Opening hours are evaluated in the facility's own time zone.
export const COUNTRY_TIME_ZONES = {
  KZ: 'Asia/Almaty',
  KG: 'Asia/Bishkek',
  TJ: 'Asia/Dushanbe',
  TM: 'Asia/Ashgabat',
  UZ: 'Asia/Tashkent',
};

// Initial map view: the five countries.
export const REGION_BOUNDS = [[46.4, 35.1], [87.4, 55.5]];

export const VIEWS = ['caseworker', 'planner', 'donor', 'manage', 'coordination'];
