// The shipped dashboard's shape in Grafana's own published types
// (@grafana/schema): the classic dashboard JSON (Dashboard), each panel kind
// the dashboard uses with that panel's own options and field config, and
// a data source reference on every panel that draws. Checked by
// test/ops/dashboardSchema.test.ts, which compiles the JSON as an object
// literal that must satisfy this type, so that a misspelled field is an
// excess property, a panel type Grafana's schema does not name is no union
// member, and a panel without a data source lacks a required property.
import type { Dashboard, DataSourceRef, FieldConfigSource, Panel, RowPanel } from '@grafana/schema';
import type * as Stat from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type * as TimeSeries from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';

// JSON spells a string enum's members as strings: each string enum of the
// schema (MappingType, BigValueColorMode, ...) as the union of its values.
type AsJson<T> = T extends string
  ? `${T}`
  : T extends ReadonlyArray<infer Item>
    ? Array<AsJson<Item>>
    : T extends object
      ? { [Key in keyof T]: AsJson<T[Key]> }
      : T;

type Drawn<Kind extends string, Options, Custom> = Omit<Panel, 'type' | 'options' | 'fieldConfig' | 'datasource'> & {
  type: Kind;
  datasource: DataSourceRef;
  options: Options;
  fieldConfig: FieldConfigSource<Partial<Custom>>;
};

export type ShippedPanel =
  | Drawn<'stat', Stat.Options, Record<string, never>>
  | Drawn<'timeseries', TimeSeries.Options, TimeSeries.FieldConfig>
  | (Omit<RowPanel, 'type'> & { type: 'row' });

// An export's __inputs and __requires are read by Grafana's import page, not
// part of the dashboard model: they are checked as what that page expects.
export type ShippedDashboard = AsJson<Omit<Dashboard, 'panels'>> & {
  panels: Array<AsJson<ShippedPanel>>;
  __inputs: Array<{ name: string; label: string; type: string; pluginId: string; pluginName: string }>;
  __requires: Array<{ type: 'grafana' | 'datasource' | 'panel'; id: string; name: string; version: string }>;
};
